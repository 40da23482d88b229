import { Agent, request } from 'node:http';

export interface BalancedAnswer {
  readonly node: string;
  readonly status: number;
  readonly body: unknown;
}

const PROBE_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 500;

/**
 * What a load balancer in front of the cluster does, small enough to read in
 * a test: it sends each request to a node whose readiness probe last said 200,
 * reuses connections, and retries on another node only a request that never
 * reached a node (a refused connection). Anything else, a reset, a timeout or
 * any status, is the answer the client gets.
 */
export class TestBalancer {
  private readonly ready = new Set<string>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly timer: NodeJS.Timeout;
  private turn = 0;

  constructor(private readonly nodes: () => ReadonlyMap<string, string>) {
    this.timer = setInterval(() => void this.probeAll(), PROBE_INTERVAL_MS);
  }

  async start(): Promise<void> {
    await this.probeAll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }

  /** Sends the request to a ready node; a refused connection is tried on the next one. */
  async send(method: string, path: string, json?: unknown): Promise<BalancedAnswer> {
    for (let attempt = 0; ; attempt++) {
      const node = this.pick();
      try {
        return { node, ...(await this.sendTo(node, method, path, json)) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || attempt >= 20) throw error;
        this.ready.delete(node);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private pick(): string {
    const ready = [...this.ready].sort();
    const candidates = ready.length > 0 ? ready : [...this.nodes().keys()];
    return candidates[this.turn++ % candidates.length]!;
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.nodes().keys()].map(async (node) => {
        const ok = await this.sendTo(node, 'GET', '/health/ready', undefined, PROBE_TIMEOUT_MS).then(
          (answer) => answer.status === 200,
          () => false,
        );
        if (ok) this.ready.add(node);
        else this.ready.delete(node);
      }),
    );
  }

  private sendTo(
    node: string,
    method: string,
    path: string,
    json: unknown,
    timeoutMs = 10_000,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(this.nodes().get(node)!);
    const payload = json === undefined ? undefined : JSON.stringify(json);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent: this.agent,
          timeout: timeoutMs,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: response.statusCode ?? 0, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
