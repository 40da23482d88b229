/**
 * The history format shared by the chaos harness (which records it) and the
 * linearizability checker (which judges it).
 *
 * A history is JSONL: one event per line, in any order (the checker orders
 * by `time`, not by line). Every operation is one `invoke` event and at most
 * one `complete` event sharing the same `id`:
 *
 *   {"type":"invoke","id":7,"client":"c2","key":"user:1","op":{"f":"write","value":{"n":1}},"time":1700000000123.25}
 *   {"type":"complete","id":7,"status":"ok","result":{"version":4},"time":1700000000131.5}
 *
 * `time` is milliseconds (fractions welcome) from ONE clock shared by all
 * clients: the checker derives "A finished before B started" from it, so
 * clocks of different machines must not be mixed. Events with equal times are
 * treated as concurrent (the permissive choice: it can hide a violation that
 * is narrower than the clock's resolution, never invent one).
 *
 * Operations (`op`), mirroring the HTTP API:
 *   {"f":"read"}                                 GET
 *   {"f":"read","via":"list"}                    one key as a listing page showed it (GET /kv?prefix=...):
 *                                                listed (found) or left out of the range the listing
 *                                                covered (not found), over the page's (or walk's) interval
 *   {"f":"read","via":"poll"}                    GET ?waitSeconds=&afterVersion= (a long poll: its answer
 *                                                is a read like any other, at some moment of its interval)
 *   {"f":"write","value":V}                      PUT (unconditional)
 *   {"f":"cas","value":V,"expectVersion":N}      PUT with If-Match: N
 *   {"f":"create","value":V}                     PUT with If-None-Match: *
 *   any of the three with "ttlSeconds":S         the same PUT with {"ttlSeconds": S}: the store may
 *                                                later delete the key while it still holds V, never
 *                                                before V's expiresAt (model.ts, "expiry")
 *   {"f":"delete"}                               DELETE
 *   {"f":"delete","expectVersion":N}             DELETE with If-Match: N
 *
 * Completion `status` and `result`:
 *   "ok"   the operation definitely took effect / definitely observed this.
 *          read   -> result {"found":false} (a 404 is a successful read of an
 *                    absent key) or {"found":true,"value":V,"version":N}
 *          others -> result {"version":N} with the version the store reported
 *                    after the change, or {} / no result when not reported.
 *                    The version is checked when present. A write with a
 *                    TTL adds "expiresAt": the store's expiresAt in ms of
 *                    the history's clock (the nodes' clock, on one machine).
 *   "fail" the operation definitely did NOT take effect, and the store said
 *          why: a precondition failed (412 for cas/create/conditional delete,
 *          404 for delete). Result optional: {"code":412} or {"code":404}; a
 *          404 additionally asserts the key was absent. The checker verifies
 *          the precondition really was false at some point in the interval.
 *          A failed read or unconditional write (e.g. a 400) constrains
 *          nothing and is ignored.
 *   "info" indeterminate (timeout, 5xx, connection reset): it may or may not
 *          have taken effect, possibly long after the client gave up. Result
 *          ignored; put the cause in the optional `error` string for humans.
 *          An invoke with no complete event at all counts as "info".
 *
 * Versions follow the store's register: 0 for a never-written key, +1 for
 * every write, create, successful cas and successful delete (deletes keep
 * counting so a version is never reused).
 */
import { readFileSync } from 'node:fs';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type KvOperation =
  | { readonly f: 'read'; readonly via?: 'list' | 'poll' }
  | { readonly f: 'write'; readonly value: JsonValue; readonly ttlSeconds?: number }
  | { readonly f: 'cas'; readonly value: JsonValue; readonly expectVersion: number; readonly ttlSeconds?: number }
  | { readonly f: 'create'; readonly value: JsonValue; readonly ttlSeconds?: number }
  | { readonly f: 'delete'; readonly expectVersion?: number };

export type OperationName = KvOperation['f'];

export type ReadResult =
  { readonly found: false } | { readonly found: true; readonly value: JsonValue; readonly version?: number };

/** Result of a successful write, cas, create or delete. */
export interface MutationResult {
  readonly version?: number;
  /** For a write with ttlSeconds: when the store said the key expires (ms, the history's clock). */
  readonly expiresAt?: number;
}

/** Result of a definite failure: the HTTP status, when the client knows it. */
export interface FailureResult {
  readonly code?: number;
}

export type CompletionStatus = 'ok' | 'fail' | 'info';

export interface InvokeEvent {
  readonly type: 'invoke';
  readonly id: number;
  readonly client: string;
  readonly key: string;
  readonly op: KvOperation;
  readonly time: number;
}

export interface CompleteEvent {
  readonly type: 'complete';
  readonly id: number;
  readonly status: CompletionStatus;
  readonly result?: ReadResult | MutationResult | FailureResult;
  /** Free text for humans, e.g. "timeout after 2000ms" or "503". */
  readonly error?: string;
  readonly time: number;
}

export type HistoryEvent = InvokeEvent | CompleteEvent;

/** One operation with its invocation and (possibly missing) completion joined. */
export interface Operation {
  readonly id: number;
  readonly client: string;
  readonly key: string;
  readonly op: KvOperation;
  /** "info" also for operations that never completed. */
  readonly status: CompletionStatus;
  readonly result?: ReadResult | MutationResult | FailureResult;
  readonly error?: string;
  readonly invokeTime: number;
  /** Undefined when the operation never completed. */
  readonly completeTime?: number;
}

export class HistoryFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryFormatError';
  }
}

// ---------------------------------------------------------------------------
// JSONL reading and writing

export function parseHistory(jsonl: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  jsonl.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new HistoryFormatError(`line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    const problem = describeEventProblem(parsed);
    if (problem !== undefined) throw new HistoryFormatError(`line ${index + 1}: ${problem}: ${line}`);
    events.push(parsed as HistoryEvent);
  });
  return events;
}

export function readHistoryFile(path: string): HistoryEvent[] {
  try {
    return parseHistory(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof HistoryFormatError) throw new HistoryFormatError(`${path}: ${error.message}`);
    throw error;
  }
}

export function serializeEvent(event: HistoryEvent): string {
  return JSON.stringify(event);
}

export function toJsonl(events: readonly HistoryEvent[]): string {
  return events.map((event) => serializeEvent(event) + '\n').join('');
}

// ---------------------------------------------------------------------------
// Recording (for the harness)

export interface HistoryRecorderOptions {
  /**
   * Milliseconds; must be one clock for all clients. The default has
   * sub-millisecond resolution, which keeps fewer fast operations falsely
   * "concurrent" than Date.now() would.
   */
  readonly clock?: () => number;
  /** Called with every event as it happens, e.g. to append it to a file so a crashed run still leaves a history. */
  readonly onEvent?: (event: HistoryEvent) => void;
}

/**
 * Assigns ids and timestamps so the harness only says what happened:
 *
 *   const id = recorder.invoke('c1', 'k', { f: 'write', value: 1 });
 *   recorder.ok(id, { version: 3 });  // or .fail(id, { code: 412 }) or .info(id, 'timeout')
 *
 * Record the invocation immediately before sending the request and the
 * completion immediately after the response arrives: the interval must
 * contain the moment the store acted.
 */
export class HistoryRecorder {
  private readonly clock: () => number;
  private readonly onEvent?: (event: HistoryEvent) => void;
  private readonly recorded: HistoryEvent[] = [];
  private readonly open = new Set<number>();
  private nextId = 1;

  constructor(options: HistoryRecorderOptions = {}) {
    this.clock = options.clock ?? (() => performance.timeOrigin + performance.now());
    this.onEvent = options.onEvent;
  }

  invoke(client: string, key: string, op: KvOperation): number {
    const id = this.nextId++;
    this.open.add(id);
    this.emit({ type: 'invoke', id, client, key, op, time: this.clock() });
    return id;
  }

  /**
   * An operation observed as part of a larger request (one key of a listing
   * page): invoked and completed at the request's own times.
   */
  observed(client: string, key: string, op: KvOperation, result: ReadResult, invokeTime: number, completeTime: number) {
    const id = this.nextId++;
    this.emit({ type: 'invoke', id, client, key, op, time: invokeTime });
    this.emit({ type: 'complete', id, status: 'ok', result, time: completeTime });
  }

  ok(id: number, result?: ReadResult | MutationResult): void {
    this.complete(id, 'ok', result, undefined);
  }

  fail(id: number, result?: FailureResult): void {
    this.complete(id, 'fail', result, undefined);
  }

  info(id: number, error?: string): void {
    this.complete(id, 'info', undefined, error);
  }

  events(): readonly HistoryEvent[] {
    return this.recorded;
  }

  private complete(
    id: number,
    status: CompletionStatus,
    result: CompleteEvent['result'],
    error: string | undefined,
  ): void {
    if (!this.open.delete(id)) throw new Error(`operation ${id} is not in flight`);
    const event: CompleteEvent = {
      type: 'complete',
      id,
      status,
      ...(result === undefined ? {} : { result }),
      ...(error === undefined ? {} : { error }),
      time: this.clock(),
    };
    this.emit(event);
  }

  private emit(event: HistoryEvent): void {
    this.recorded.push(event);
    this.onEvent?.(event);
  }
}

// ---------------------------------------------------------------------------
// Joining invocations with completions

/**
 * Pairs every invoke with its complete. Rejects histories that cannot be
 * trusted (duplicate ids, completions without invocations, time running
 * backwards, results that do not fit the operation) instead of guessing,
 * since a checker fed garbage would give a meaningless verdict.
 */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const invokes = new Map<number, InvokeEvent>();
  const completes = new Map<number, CompleteEvent>();
  for (const event of events) {
    const seen = event.type === 'invoke' ? invokes : completes;
    if (seen.has(event.id)) throw new HistoryFormatError(`operation ${event.id} has two ${event.type} events`);
    if (event.type === 'invoke') invokes.set(event.id, event);
    else completes.set(event.id, event);
  }
  for (const id of completes.keys()) {
    if (!invokes.has(id)) throw new HistoryFormatError(`operation ${id} completes but was never invoked`);
  }

  const operations: Operation[] = [];
  for (const invoke of invokes.values()) {
    const complete = completes.get(invoke.id);
    if (complete === undefined) {
      operations.push({ ...baseOf(invoke), status: 'info', error: 'never completed' });
      continue;
    }
    if (complete.time < invoke.time) {
      throw new HistoryFormatError(
        `operation ${invoke.id} completes (${complete.time}) before it was invoked (${invoke.time})`,
      );
    }
    if (complete.status === 'ok') {
      const problem = describeOkResultProblem(invoke.op, complete.result);
      if (problem !== undefined) throw new HistoryFormatError(`operation ${invoke.id}: ${problem}`);
    }
    operations.push({
      ...baseOf(invoke),
      status: complete.status,
      ...(complete.result === undefined ? {} : { result: complete.result }),
      ...(complete.error === undefined ? {} : { error: complete.error }),
      completeTime: complete.time,
    });
  }
  return operations;
}

function baseOf(invoke: InvokeEvent) {
  return { id: invoke.id, client: invoke.client, key: invoke.key, op: invoke.op, invokeTime: invoke.time };
}

// ---------------------------------------------------------------------------
// Shape validation (returns a description of the first problem, if any)

function describeEventProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'event is not an object';
  if (!Number.isInteger(value.id)) return 'id must be an integer';
  if (typeof value.time !== 'number' || !Number.isFinite(value.time)) return 'time must be a finite number';
  if (value.type === 'invoke') {
    if (typeof value.client !== 'string') return 'client must be a string';
    if (typeof value.key !== 'string') return 'key must be a string';
    return describeOperationProblem(value.op);
  }
  if (value.type === 'complete') {
    if (value.status !== 'ok' && value.status !== 'fail' && value.status !== 'info') {
      return 'status must be "ok", "fail" or "info"';
    }
    if (value.result !== undefined && !isRecord(value.result)) return 'result must be an object';
    if (value.error !== undefined && typeof value.error !== 'string') return 'error must be a string';
    return undefined;
  }
  return 'type must be "invoke" or "complete"';
}

function describeOperationProblem(op: unknown): string | undefined {
  if (!isRecord(op)) return 'op must be an object';
  const hasValue = 'value' in op && op.value !== undefined;
  switch (op.f) {
    case 'read':
      return op.via === undefined || op.via === 'list' || op.via === 'poll'
        ? undefined
        : 'read via must be "list" or "poll"';
    case 'write':
    case 'create':
      if (!hasValue) return `${op.f} needs a value`;
      return describeTtlProblem(op.ttlSeconds);
    case 'cas':
      if (!hasValue) return 'cas needs a value';
      if (!isVersion(op.expectVersion)) return 'cas needs an integer expectVersion';
      return describeTtlProblem(op.ttlSeconds);
    case 'delete':
      return op.expectVersion === undefined || isVersion(op.expectVersion)
        ? undefined
        : 'delete expectVersion must be an integer';
    default:
      return 'op.f must be one of read, write, cas, create, delete';
  }
}

function describeOkResultProblem(op: KvOperation, result: unknown): string | undefined {
  if (op.f === 'read') {
    if (!isRecord(result) || typeof result.found !== 'boolean')
      return 'a successful read needs result {found: boolean, ...}';
    if (result.found && !('value' in result)) return 'a read that found the key needs result.value';
    if (result.version !== undefined && !isVersion(result.version)) return 'result.version must be an integer';
    return undefined;
  }
  if (result === undefined) return undefined;
  if (!isRecord(result)) return 'result must be an object';
  if (result.version !== undefined && !isVersion(result.version)) return 'result.version must be an integer';
  if (result.expiresAt !== undefined) {
    if (!('ttlSeconds' in op) || op.ttlSeconds === undefined) return 'result.expiresAt without op.ttlSeconds';
    if (typeof result.expiresAt !== 'number' || !Number.isFinite(result.expiresAt))
      return 'result.expiresAt must be a finite number';
  }
  return undefined;
}

function describeTtlProblem(ttlSeconds: unknown): string | undefined {
  return ttlSeconds === undefined || (typeof ttlSeconds === 'number' && ttlSeconds > 0)
    ? undefined
    : 'ttlSeconds must be a positive number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}
