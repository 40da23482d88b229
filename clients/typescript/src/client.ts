import { KvError, NotFound, PreconditionFailed, RequestRejected, Unavailable } from './errors';
import { classifyFailure } from './failures';
import { NodePool } from './node-pool';
import { SseParser } from './sse-parser';
import type {
  BatchItem,
  BatchItemFailed,
  BatchItemWritten,
  BatchResult,
  Entry,
  ErrorBody,
  GetQuery,
  HealthResult,
  ListedItem,
  ListPage,
  ListQuery,
  PutRequest,
} from './wire';

const API = '/kv-store/v1';
const DEFAULT_TIMEOUT_MS = 30_000;
/** A long poll answers after waitSeconds plus one read: give the read this long before giving up. */
const LONG_POLL_MARGIN_MS = 15_000;
const STATUS_TIMEOUT_MS = 2_000;

export interface KvClientOptions {
  /** The nodes' base URLs, for example ["http://10.0.0.1:8000", "http://10.0.0.2:8000"]. */
  endpoints: readonly string[];
  /** How long to wait for a node's answer (default 30 s); a long poll adds its waitSeconds. */
  timeoutMs?: number;
}

/** An ETag condition: versions (one or several), or "*" (any version: the key exists). */
export type VersionCondition = number | readonly number[] | '*';

export interface GetOptions {
  /** "local": this node's copy only, no quorum: faster, possibly stale or never acknowledged. */
  consistency?: 'linearizable' | 'local';
  /** A long poll: answer as soon as the version is above afterVersion, or after this many seconds (1-300). */
  waitSeconds?: number;
  afterVersion?: number;
}

export interface PutOptions {
  /** Only if the key's version is one of these ("*": only if it exists); else PreconditionFailed. */
  ifMatch?: VersionCondition;
  /** "*": only if the key does not exist (create only); versions: only if it is not at one of them. */
  ifNoneMatch?: VersionCondition;
  /** The key expires this many seconds after the write (1 to 31,536,000); without it the key is permanent. */
  ttlSeconds?: number;
}

export interface DeleteOptions {
  ifMatch?: VersionCondition;
  ifNoneMatch?: VersionCondition;
}

export interface PutResult extends Entry {
  /** True when the key did not exist before this write. */
  created: boolean;
}

export type ListOptions = Omit<ListQuery, 'keysOnly'> & { keysOnly?: boolean };

export type BatchItemResult = BatchItemWritten | BatchItemFailed;

/** What one node says about the cluster (its /kv-store/v1/health), or why it said nothing. */
export interface NodeStatus {
  url: string;
  reachable: boolean;
  /** The health endpoint's status: 200, or 503 without quorum or while the node is leaving. */
  httpStatus?: number;
  health?: HealthResult;
  /** How long the health request took, this client to the node and back. */
  roundTripMs?: number;
  error?: string;
}

export interface WatchOptions {
  /** Changes of keys that start with this; none: every key. */
  prefix?: string;
  /** Resume after this event id (any event's `id`, from any node). */
  lastEventId?: string;
  /** Ends the watch. Breaking out of the loop ends it as well. */
  signal?: AbortSignal;
  /**
   * Called when a node has taken the watch (and again after each resume on
   * another node), with the position it starts from: changes from then on
   * will be seen.
   */
  onStarted?: (url: string, position: string) => void;
}

/**
 * A change under the watched prefix. `resync`: this node cannot prove it has
 * every change since the last event: list the keys again, then carry on.
 */
export type WatchEvent =
  | { type: 'put'; id: string; key: string; value: unknown; version: number; expiresAt?: string }
  | { type: 'delete'; id: string; key: string; version: number }
  | { type: 'resync'; id: string };

interface Request {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
  /** Safe to repeat on another node whatever happened (reads). Writes move on only when a node provably did nothing. */
  safe: boolean;
  timeoutMs?: number;
}

interface Answer {
  url: string;
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * A kv-store client. Requests start on the nodes in turn; a node that cannot
 * be reached is skipped for the next one. Reads are retried on another node
 * after any failure; writes only when the request provably never arrived (no
 * connection could be made) or the node answered 503 saying it had no
 * effect, so a write is never applied twice by the client's own doing.
 */
export class KvClient {
  private readonly pool: NodePool;
  private readonly timeoutMs: number;

  constructor(options: KvClientOptions) {
    this.pool = new NodePool(options.endpoints);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get endpoints(): readonly string[] {
    return this.pool.urls;
  }

  /** The key's value and version; NotFound when it does not exist. */
  async get(key: string, options: GetOptions = {}): Promise<Entry> {
    const query: GetQuery = options;
    const answer = await this.send({
      method: 'GET',
      path: keyPath(key),
      query: { ...query },
      safe: true,
      timeoutMs: options.waitSeconds === undefined ? undefined : options.waitSeconds * 1000 + LONG_POLL_MARGIN_MS,
    });
    if (answer.status === 200) return answer.body as Entry;
    throw failure(answer, key);
  }

  /** Creates or replaces the key; PreconditionFailed when ifMatch or ifNoneMatch does not hold. */
  async put(key: string, value: unknown, options: PutOptions = {}): Promise<PutResult> {
    const body: PutRequest = { value, ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }) };
    const answer = await this.send({
      method: 'PUT',
      path: keyPath(key),
      headers: conditionHeaders(options),
      body,
      safe: false,
    });
    if (answer.status === 200 || answer.status === 201)
      return { ...(answer.body as Entry), created: answer.status === 201 };
    throw failure(answer, key);
  }

  /** Deletes the key; NotFound when it does not exist, PreconditionFailed when a condition does not hold. */
  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const answer = await this.send({
      method: 'DELETE',
      path: keyPath(key),
      headers: conditionHeaders(options),
      safe: false,
    });
    if (answer.status === 204) return;
    throw failure(answer, key);
  }

  /** Puts several keys, each its own write (not a transaction): one result per item, in order. */
  async batch(items: readonly BatchItem[]): Promise<BatchItemResult[]> {
    const answer = await this.send({ method: 'POST', path: `${API}/kv/batch`, body: { items }, safe: false });
    if (answer.status === 200) return (answer.body as BatchResult).results;
    throw failure(answer);
  }

  /** One page of present keys, by prefix or range, in byte order; pass nextCursor back as cursor for the next. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const { keysOnly, ...rest } = options;
    const query: ListQuery = { ...rest, ...(keysOnly === undefined ? {} : { keysOnly: keysOnly ? 'true' : 'false' }) };
    const answer = await this.send({ method: 'GET', path: `${API}/kv`, query: { ...query }, safe: true });
    if (answer.status === 200) return answer.body as ListPage;
    throw failure(answer);
  }

  /** Every present key of the prefix or range, page after page (a page can be short: the cursor decides the end). */
  async *listAll(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<ListedItem> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor === undefined ? {} : { cursor }) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * The changes under a prefix, as they happen (Server-Sent Events). When a
   * stream breaks, it resumes on the next node after the last event seen
   * (Last-Event-ID), so no change is missed; Unavailable when no node takes it.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    let lastEventId = options.lastEventId;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        const failures: string[] = [];
        let streamed = false;
        for (const url of this.pool.order()) {
          if (stop.signal.aborted) return;
          const query =
            options.prefix === undefined ? '' : `?${new URLSearchParams({ prefix: options.prefix }).toString()}`;
          let response: Response;
          try {
            response = await fetch(`${url}${API}/watch${query}`, {
              headers: {
                accept: 'text/event-stream',
                ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
              },
              signal: stop.signal,
            });
          } catch (error) {
            if (stop.signal.aborted) return;
            const { neverSent, description } = classifyFailure(error);
            if (neverSent) this.pool.markDown(url);
            failures.push(`${url}: ${description}`);
            continue;
          }
          if (response.status !== 200) {
            const text = await response.text();
            const body = errorBody(text === '' ? undefined : (JSON.parse(text) as unknown));
            if (response.status < 500)
              throw new RequestRejected(body?.message ?? `${response.status}`, response.status, body);
            failures.push(`${url}: ${response.status} ${body?.message ?? ''}`.trimEnd());
            continue;
          }
          this.pool.markUp(url);
          streamed = true;
          const parser = new SseParser();
          let started = false;
          try {
            for await (const chunk of response.body ?? []) {
              for (const message of parser.push(chunk as Uint8Array)) {
                if (message.id !== undefined) lastEventId = message.id;
                if (!started && message.id !== undefined) {
                  started = true;
                  options.onStarted?.(url, message.id);
                }
                const event = watchEvent(message.event, message.data, lastEventId);
                if (event) yield event;
              }
            }
          } catch (error) {
            if (stop.signal.aborted) return;
            failures.push(`${url}: ${classifyFailure(error).description}`);
          }
          // The stream ended (the node stopped, or a proxy cut it): resume on the next node.
          break;
        }
        if (!streamed) throw new Unavailable(`no node could take the watch: ${failures.join('; ')}`, false);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /** Each node's own view of the cluster (asked of every node, not spread), for operators. */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(
      this.pool.urls.map(async (url): Promise<NodeStatus> => {
        const started = performance.now();
        try {
          const response = await fetch(`${url}${API}/health`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
          const health = (await response.json()) as HealthResult;
          const roundTripMs = Math.round((performance.now() - started) * 10) / 10;
          return { url, reachable: true, httpStatus: response.status, health, roundTripMs };
        } catch (error) {
          return { url, reachable: false, error: classifyFailure(error).description };
        }
      }),
    );
  }

  /** Tries the nodes in turn until one answers, as far as the request is safe to repeat. */
  private async send(request: Request): Promise<Answer> {
    const failures: string[] = [];
    let unavailable: Answer | undefined;
    for (const url of this.pool.order()) {
      let answer: Answer;
      try {
        answer = await this.once(url, request);
      } catch (error) {
        const { neverSent, description } = classifyFailure(error);
        failures.push(`${url}: ${description}`);
        if (neverSent) this.pool.markDown(url);
        if (neverSent || request.safe) continue;
        throw new Unavailable(`${url}: ${description}; the write may have been applied`, true);
      }
      this.pool.markUp(url);
      if (answer.status < 500) return answer;
      // 503: no quorum from there, or the node is leaving; another node may do better.
      const body = errorBody(answer.body);
      if (request.safe || body?.mayHaveTakenEffect === false) {
        failures.push(`${url}: ${answer.status} ${body?.message ?? ''}`.trimEnd());
        unavailable = answer;
        continue;
      }
      return answer;
    }
    const body = unavailable === undefined ? undefined : errorBody(unavailable.body);
    // Every attempt either never reached a node, was a read, or was refused with no effect.
    throw new Unavailable(`no node could answer: ${failures.join('; ')}`, false, unavailable?.status, body);
  }

  private async once(url: string, request: Request): Promise<Answer> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) search.set(name, String(value));
    }
    const query = search.size > 0 ? `?${search.toString()}` : '';
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${request.path}${query}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs ?? this.timeoutMs),
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json') && text !== '';
    return {
      url,
      status: response.status,
      headers: response.headers,
      body: json ? (JSON.parse(text) as unknown) : text,
    };
  }
}

/** A Server-Sent Event of the watch as a WatchEvent; undefined for what carries no change (a heartbeat's id). */
function watchEvent(
  type: string | undefined,
  data: string | undefined,
  id: string | undefined,
): WatchEvent | undefined {
  if (data === undefined || id === undefined) return undefined;
  if (type === 'resync') return { type: 'resync', id };
  const change = JSON.parse(data) as { key: string; value: unknown; version: number; expiresAt?: string };
  if (type === 'delete') return { type: 'delete', id, key: change.key, version: change.version };
  if (type === 'put') return { type: 'put', id, ...change };
  return undefined;
}

/** The typed error for an answer that is not the operation's success. */
function failure(answer: Answer, key?: string): KvError {
  const body = errorBody(answer.body);
  const message = body?.message ?? `${answer.status} from ${answer.url}`;
  if (answer.status === 404 && key !== undefined) {
    const version = answer.headers.get('x-kv-version');
    return new NotFound(key, version === null ? undefined : Number(version), body);
  }
  if (answer.status === 412) return new PreconditionFailed(body);
  if (answer.status >= 500) return new Unavailable(message, body?.mayHaveTakenEffect ?? true, answer.status, body);
  return new RequestRejected(message, answer.status, body);
}

function errorBody(body: unknown): ErrorBody | undefined {
  return typeof body === 'object' && body !== null && 'statusCode' in body ? (body as ErrorBody) : undefined;
}

/**
 * A key as its one path segment. The segments "." and ".." cannot be sent by
 * fetch (URL parsing resolves them, even percent-encoded), so they are refused here.
 */
function keyPath(key: string): string {
  if (key === '' || key === '.' || key === '..')
    throw new RequestRejected(`this client cannot address the key ${JSON.stringify(key)}`, undefined, undefined);
  return `${API}/kv/${encodeURIComponent(key)}`;
}

function conditionHeaders(options: {
  ifMatch?: VersionCondition;
  ifNoneMatch?: VersionCondition;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.ifMatch !== undefined) headers['if-match'] = entityTags(options.ifMatch);
  if (options.ifNoneMatch !== undefined) headers['if-none-match'] = entityTags(options.ifNoneMatch);
  return headers;
}

/** Versions as the ETags the store sends: "3", or a list "3", "4"; or *. */
function entityTags(condition: VersionCondition): string {
  if (condition === '*') return '*';
  const versions = typeof condition === 'number' ? [condition] : condition;
  return versions.map((version) => `"${version}"`).join(', ');
}
