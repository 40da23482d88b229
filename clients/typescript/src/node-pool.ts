/** How long a node that refused a connection is tried only after the others. */
export const DOWN_FOR_MS = 5_000;

/**
 * The nodes a client talks to. Requests start on the nodes in turn, so they
 * spread over the cluster; a node that could not be reached is tried last
 * for a while, so that one dead node does not cost every request a failed
 * connection.
 */
export class NodePool {
  private next = 0;
  private readonly downUntil = new Map<string, number>();
  readonly urls: readonly string[];

  constructor(
    urls: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error('kv-store client: give at least one node URL');
    this.urls = urls.map(normalizeUrl);
  }

  /** Every node once, in the order to try them for one request. */
  order(): string[] {
    const start = this.next;
    this.next = (this.next + 1) % this.urls.length;
    const turn = this.urls.map((_, index) => this.urls[(start + index) % this.urls.length]!);
    const now = this.now();
    const up = turn.filter((url) => (this.downUntil.get(url) ?? 0) <= now);
    const down = turn.filter((url) => (this.downUntil.get(url) ?? 0) > now);
    return [...up, ...down];
  }

  markDown(url: string): void {
    this.downUntil.set(url, this.now() + DOWN_FOR_MS);
  }

  markUp(url: string): void {
    this.downUntil.delete(url);
  }
}

/** "http://host:port" without a trailing slash; anything that is not an http(s) URL is refused. */
export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`kv-store client: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`kv-store client: not an http(s) URL: ${url}`);
  return parsed.toString().replace(/\/+$/, '');
}
