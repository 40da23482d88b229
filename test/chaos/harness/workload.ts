/**
 * The clients: each one issues one request at a time to one node (switching
 * nodes now and then, and after every failure), on a few hot keys, and
 * records every invocation and completion in the history:
 *
 *   read      GET (or GET ?consistency=local in the negative control)
 *   poll      GET ?waitSeconds=1..2&afterVersion=<version last seen>: a long
 *             poll, recorded as a read over its whole interval
 *   write     PUT, a value unique to the write: "<client>-<n>"
 *   cas       PUT If-Match: "<version the client last saw for the key>"
 *   create    PUT If-None-Match: *
 *
 * Beside the hot keys, a few lease keys are used the way locks are: mostly
 * read, taken with create and a short TTL, rarely renewed (cas with the TTL)
 * or released (a conditional delete), so that most leases expire while
 * clients read them, and the checker sees the store's expiries (model.ts).
 * Now and then a plain write makes a lease key permanent, and a plain delete
 * clears it. TTLs stay off the hot keys: with hundreds of timeouts in a fault
 * window, an expiry possible at any moment multiplied the checker's search
 * past its budget there, and the lease keys already cover every TTL rule.
 *   delete    DELETE, unconditional or If-Match: "<version last seen>"
 *   list      a walk over the current keys by prefix or by start and end, page
 *             by page, each page's items and gaps recorded as reads
 *             (listing-walk.ts)
 *
 * Definite outcomes: 2xx; 412 for conditional requests; 404 for reads and
 * deletes; a refused connection for reads and unconditional writes (recorded
 * as "fail" without a code, which the checker ignores: they certainly did not
 * happen); unless disabled, an unconditional write answered 503 with
 * mayHaveTakenEffect: false (also "fail": the store's claim, which the checker
 * then holds it to). Everything else (timeout, reset, a refused conditional
 * request, any other 5xx, an unexpected status) is indeterminate ("info").
 * Nothing is ever retried.
 */
import http from 'node:http';
import type { HistoryRecorder, KvOperation } from '../history';
import { HttpOutcome, HttpRequest, httpRequest, keyPath } from './http';
import { ListingRange, ListingWalkContext, walkListing } from './listing-walk';
import { Random } from './random';

/** What the harness itself keeps about each request, beyond the history (for the 5xx accounting). */
export interface RequestRecord {
  readonly id: number;
  readonly client: string;
  readonly node: string;
  readonly key: string;
  /** The operation, or 'list' for one page of a listing walk. */
  readonly f: KvOperation['f'] | 'list';
  readonly invokeTime: number;
  readonly completeTime: number;
  /** HTTP status, or undefined for a transport failure. */
  readonly status?: number;
  /** Transport failure code: TIMEOUT, ECONNREFUSED, ECONNRESET, ... */
  readonly errorCode?: string;
  readonly outcome: 'ok' | 'fail' | 'info';
  /** Part of the final verification, not the workload. */
  readonly final?: boolean;
}

/** The clients' settings, and everything one request needs (ExecuteContext; the workload brings its own agent). */
export interface WorkloadOptions extends Omit<ExecuteContext, 'agent'> {
  readonly seed: number;
  readonly clients: number;
  /** How many hot keys the clients share at any time. */
  readonly keys: number;
  /**
   * Every this many ms the clients move on to fresh keys (g1/k0, g1/k1, ...):
   * the checker's search grows with the operations of one key, so long runs
   * stay checkable. Infinity: the same keys throughout.
   */
  readonly keyLifetimeMs: number;
  readonly requestTimeoutMs: number;
  /** Most operations per client (a safety bound; the run normally ends by time). */
  readonly maxOpsPerClient?: number;
  /** Pause between a client's operations: uniform in [0, thinkMs]. */
  readonly thinkMs?: number;
}

type Choice = 'read' | 'poll' | 'write' | 'cas' | 'create' | 'delete' | 'cdelete' | 'list';

/** Lease keys beside the hot keys, and the share of operations that go to them. */
const LEASE_KEYS = 2;
const LEASE_SHARE = 0.15;
const LEASE_MIX: ReadonlyArray<readonly [Choice, number]> = [
  ['read', 65],
  ['poll', 10],
  ['create', 15],
  ['cas', 2],
  ['cdelete', 3],
  ['write', 3],
  ['delete', 2],
];
const LEASE_TTL_SECONDS = [1, 2] as const;

const MIX: ReadonlyArray<readonly [Choice, number]> = [
  ['read', 26],
  ['poll', 4],
  ['list', 5],
  ['write', 22],
  ['cas', 22],
  ['create', 6],
  ['delete', 8],
  ['cdelete', 7],
];
/** After the last write, how long until every TTL the workload set is past. */
export const LONGEST_TTL_MS = LEASE_TTL_SECONDS[1] * 1000;
/** A long poll's waitSeconds. */
const POLL_SECONDS = [1, 2] as const;

/** The negative control reads more, to catch stale local copies. */
const NEGATIVE_CONTROL_MIX: ReadonlyArray<readonly [Choice, number]> = [
  ['read', 50],
  ['list', 5],
  ['write', 30],
  ['cas', 10],
  ['create', 2],
  ['delete', 3],
];

export class Workload {
  private stopAt = Infinity;
  private startedAt = 0;
  private readonly stats = { ops: 0 };
  /** Every key any client used, in order of first use. */
  readonly keysUsed = new Set<string>();
  /** Broken promises of listings (order, range, duplicates) that the checker cannot see. */
  readonly listingProblems: string[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  /** Runs every client until `stopAt` (Date.now() ms); resolves when all in-flight requests have completed. */
  async run(stopAt: number): Promise<{ operations: number }> {
    this.stopAt = stopAt;
    this.startedAt = Date.now();
    const clients = Array.from({ length: this.options.clients }, (_, i) => this.client(`c${i + 1}`));
    await Promise.all(clients);
    return { operations: this.stats.ops };
  }

  /** Ends the run early (the clients finish their current request). */
  stop(): void {
    this.stopAt = 0;
  }

  /** The current generation's keys share a prefix, so that a listing by prefix walks exactly them. */
  private keyPrefix(): string {
    const { keyLifetimeMs } = this.options;
    if (!Number.isFinite(keyLifetimeMs)) return '';
    return `g${Math.floor((Date.now() - this.startedAt) / keyLifetimeMs)}/`;
  }

  /**
   * One listing walk over the current generation: by its prefix, or by a
   * start and end between two of its keys; a limit from 1 (a page per key)
   * to one more than there are keys (one page).
   */
  private async list(
    context: ListingWalkContext,
    name: string,
    node: string,
    rng: Random,
  ): Promise<{ unavailable: boolean }> {
    const prefix = this.keyPrefix();
    const keySpace = [
      ...Array.from({ length: this.options.keys }, (_, i) => `${prefix}k${i}`),
      ...Array.from({ length: LEASE_KEYS }, (_, i) => `${prefix}lease${i}`),
    ];
    for (const key of keySpace) this.keysUsed.add(key);
    let range: ListingRange = { prefix };
    if (prefix === '' || rng.chance(0.5)) {
      const [low, high] = [rng.pick(keySpace), rng.pick(keySpace)].sort();
      // An empty range (low = high) is a walk too: it must list nothing.
      range = { start: low, end: high };
    }
    const limit = rng.int(1, keySpace.length + 1);
    const outcome = await walkListing(context, name, node, range, limit, keySpace);
    this.stats.ops++;
    this.listingProblems.push(...outcome.problems);
    return outcome;
  }

  private async client(name: string): Promise<void> {
    const { options } = this;
    // Two streams, so that the operations a client chooses do not depend on which of its requests failed.
    const rng = Random.derive(options.seed, `client:${name}`);
    const nodeRng = Random.derive(options.seed, `client-node:${name}`);
    const nodeIds = [...options.nodes.keys()];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const known = new Map<string, number>();
    const mix = options.localReads ? NEGATIVE_CONTROL_MIX : MIX;
    const maxOps = options.maxOpsPerClient ?? 100_000;
    let node = nodeRng.pick(nodeIds);
    let counter = 0;
    try {
      for (let n = 0; n < maxOps && Date.now() < this.stopAt; n++) {
        if (nodeRng.chance(options.localReads ? 0.3 : 0.1)) node = nodeRng.pick(nodeIds);
        const lease = rng.chance(LEASE_SHARE);
        const key = lease
          ? `${this.keyPrefix()}lease${rng.int(0, LEASE_KEYS - 1)}`
          : `${this.keyPrefix()}k${rng.int(0, options.keys - 1)}`;
        let choice = rng.weighted(lease ? LEASE_MIX : mix);
        const think = options.thinkMs ?? 10;
        if (choice === 'list') {
          const walk = await this.list({ ...options, agent }, name, node, rng);
          if (walk.unavailable) node = nodeRng.pick(nodeIds.filter((id) => id !== node));
          if (think > 0) await new Promise((resolve) => setTimeout(resolve, rng.int(0, think)));
          continue;
        }
        this.keysUsed.add(key);
        const version = known.get(key);
        if ((choice === 'cas' || choice === 'cdelete') && version === undefined) choice = 'read';
        const value = `${name}-${++counter}`;
        // Taken and renewed with a TTL; a plain write makes the lease key permanent.
        const expiring =
          lease && (choice === 'cas' || choice === 'create') ? { ttlSeconds: rng.int(...LEASE_TTL_SECONDS) } : {};
        const op: KvOperation =
          choice === 'read'
            ? { f: 'read' }
            : choice === 'poll'
              ? { f: 'read', via: 'poll' }
              : choice === 'write'
                ? { f: 'write', value, ...expiring }
                : choice === 'cas'
                  ? { f: 'cas', value, expectVersion: version!, ...expiring }
                  : choice === 'create'
                    ? { f: 'create', value, ...expiring }
                    : choice === 'delete'
                      ? { f: 'delete' }
                      : { f: 'delete', expectVersion: version! };
        const poll = choice === 'poll' ? { afterVersion: version ?? 0, waitSeconds: rng.int(...POLL_SECONDS) } : {};
        const result = await execute({ ...options, agent }, name, node, key, op, poll);
        this.stats.ops++;
        if (result.version !== undefined) known.set(key, result.version);
        // Like a real client: after a failure (5xx, timeout, refused, reset) try another node.
        if (result.unavailable) node = nodeRng.pick(nodeIds.filter((id) => id !== node));
        if (think > 0) await new Promise((resolve) => setTimeout(resolve, rng.int(0, think)));
      }
    } finally {
      agent.destroy();
    }
  }
}

interface ExecuteContext {
  /** Node id → client port. */
  readonly nodes: ReadonlyMap<string, number>;
  readonly recorder: HistoryRecorder;
  readonly clock: () => number;
  /** Client-side bound of each request. */
  readonly clientTimeoutMs: number;
  /** Negative control: reads with ?consistency=local. */
  readonly localReads: boolean;
  /** Record an unconditional write answered 503 mayHaveTakenEffect: false as "fail" rather than "info". */
  readonly trustNotTakenEffect: boolean;
  readonly onRequest: (record: RequestRecord) => void;
  readonly agent?: http.Agent;
}

/**
 * Sends one operation to one node and records it. Returns the outcome and the
 * version the client learnt (for its next cas), if any.
 */
export async function execute(
  context: ExecuteContext,
  clientName: string,
  node: string,
  key: string,
  op: KvOperation,
  extra: { final?: boolean; localRead?: boolean; afterVersion?: number; waitSeconds?: number } = {},
): Promise<{
  outcome: 'ok' | 'fail' | 'info';
  /** No usable answer: a transport failure or a 5xx. */
  unavailable: boolean;
  version?: number;
  read?: { found: boolean; value?: unknown; version?: number };
}> {
  const port = context.nodes.get(node)!;
  const localRead = extra.localRead ?? context.localReads;
  const request = toRequest(key, op, localRead, extra);
  const id = context.recorder.invoke(`${clientName}@${node}`, key, op);
  const invokeTime = context.clock();
  const answer = await httpRequest({
    port,
    // A long poll may rightly wait its waitSeconds before the read it then makes.
    timeoutMs: context.clientTimeoutMs + (extra.waitSeconds ?? 0) * 1000,
    ...(context.agent ? { agent: context.agent } : {}),
    ...request,
  });
  const classified = classify(op, answer, context.trustNotTakenEffect);
  if (classified.outcome === 'ok') context.recorder.ok(id, classified.result as never);
  else if (classified.outcome === 'fail') context.recorder.fail(id, classified.result as never);
  else context.recorder.info(id, classified.error);
  context.onRequest({
    id,
    client: clientName,
    node,
    key,
    f: op.f,
    invokeTime,
    completeTime: context.clock(),
    ...(answer.kind === 'response' ? { status: answer.status } : { errorCode: answer.code }),
    outcome: classified.outcome,
    ...(extra.final ? { final: true } : {}),
  });
  return { ...classified, unavailable: answer.kind === 'error' || answer.status >= 500 };
}

function toRequest(
  key: string,
  op: KvOperation,
  localRead: boolean,
  poll: { afterVersion?: number; waitSeconds?: number },
): Pick<HttpRequest, 'method' | 'path' | 'body' | 'headers'> {
  const body = (value: unknown, ttlSeconds: number | undefined) => ({
    value,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  });
  switch (op.f) {
    case 'read':
      if (op.via === 'poll')
        return {
          method: 'GET' as const,
          path: keyPath(key, `?waitSeconds=${poll.waitSeconds ?? 1}&afterVersion=${poll.afterVersion ?? 0}`),
        };
      return { method: 'GET' as const, path: keyPath(key, localRead ? '?consistency=local' : '') };
    case 'write':
      return { method: 'PUT' as const, path: keyPath(key), body: body(op.value, op.ttlSeconds) };
    case 'cas':
      return {
        method: 'PUT' as const,
        path: keyPath(key),
        body: body(op.value, op.ttlSeconds),
        headers: { 'if-match': `"${op.expectVersion}"` },
      };
    case 'create':
      return {
        method: 'PUT' as const,
        path: keyPath(key),
        body: body(op.value, op.ttlSeconds),
        headers: { 'if-none-match': '*' },
      };
    case 'delete':
      return {
        method: 'DELETE' as const,
        path: keyPath(key),
        ...(op.expectVersion === undefined ? {} : { headers: { 'if-match': `"${op.expectVersion}"` } }),
      };
  }
}

interface Classified {
  readonly outcome: 'ok' | 'fail' | 'info';
  readonly result?: unknown;
  readonly error?: string;
  readonly version?: number;
  readonly read?: { found: boolean; value?: unknown; version?: number };
}

function classify(op: KvOperation, answer: HttpOutcome, trustNotTakenEffect: boolean): Classified {
  if (answer.kind === 'error') {
    // A refused connection never carried the request: a read or an unconditional
    // write that certainly did not happen is a "fail", which the checker leaves
    // out. (For conditional operations "fail" would claim a failed precondition.)
    if (answer.code === 'ECONNREFUSED' && (op.f === 'read' || op.f === 'write')) return { outcome: 'fail', result: {} };
    return { outcome: 'info', error: `${answer.code}: ${answer.message}` };
  }
  const { status } = answer;
  const body = (answer.body ?? {}) as {
    value?: unknown;
    version?: unknown;
    mayHaveTakenEffect?: unknown;
    message?: unknown;
    expiresAt?: unknown;
  };
  const version = typeof body.version === 'number' ? body.version : undefined;
  const conditional = op.f === 'cas' || op.f === 'create' || (op.f === 'delete' && op.expectVersion !== undefined);
  if (op.f === 'read') {
    if (status === 200 && 'value' in body) {
      return {
        outcome: 'ok',
        result: { found: true, value: body.value, ...(version === undefined ? {} : { version }) },
        version,
        read: { found: true, value: body.value, version },
      };
    }
    if (status === 404) return { outcome: 'ok', result: { found: false }, read: { found: false } };
  } else if (status === 200 || status === 201) {
    const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : undefined;
    const result = {
      ...(version === undefined ? {} : { version }),
      ...(expiresAt === undefined || Number.isNaN(expiresAt) ? {} : { expiresAt }),
    };
    return { outcome: 'ok', result, version };
  } else if (status === 204 && op.f === 'delete') {
    return { outcome: 'ok', result: {} };
  } else if (status === 412 && conditional) {
    return { outcome: 'fail', result: { code: 412 } };
  } else if (status === 404 && op.f === 'delete') {
    return { outcome: 'fail', result: { code: 404 } };
  }
  // The store's own claim that an unconditional write certainly did not happen
  // (503 with mayHaveTakenEffect: false) is taken at its word: recorded as
  // "fail", which the checker leaves out, so if the write did take effect, its
  // unique value or the version it consumed shows up as a violation later.
  if (trustNotTakenEffect && op.f === 'write' && status === 503 && body.mayHaveTakenEffect === false) {
    return { outcome: 'fail', result: { code: 503 } };
  }
  const detail =
    status >= 500 && body.mayHaveTakenEffect !== undefined
      ? ` mayHaveTakenEffect=${JSON.stringify(body.mayHaveTakenEffect)}`
      : '';
  const message = typeof body.message === 'string' ? `: ${body.message.slice(0, 200)}` : '';
  return { outcome: 'info', error: `${status}${detail}${message}` };
}
