import { ProtocolViolationError } from './errors';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';
import { AcceptorClient } from './transport';
import { withTimeout } from './with-timeout';

export interface BatchingOptions {
  /** Most keys in one call. Default 500. */
  readonly maxBatchSize?: number;
  /** When to send what has gathered. Default: setImmediate, i.e. after the current macrotask. */
  readonly schedule?: (flush: () => void) => void;
}

/**
 * Wraps an AcceptorClient so that calls issued within one tick (rounds for
 * different keys started together) travel as one call: one HTTP request and
 * one SQL statement instead of one per key. Replies are split back to their
 * callers; a failed call fails every caller in it, as it would have alone.
 *
 * A batch must not name a key twice, so a second call for a key already in
 * the gathering batch goes into the next one.
 */
export class BatchingAcceptorClient implements AcceptorClient {
  readonly nodeId: string;
  private readonly prepares: Coalescer<PrepareRequest, PrepareReply>;
  private readonly accepts: Coalescer<AcceptRequest, AcceptReply>;
  private readonly peeks: Coalescer<string, PeekReply>;

  constructor(inner: AcceptorClient, options: BatchingOptions = {}) {
    this.nodeId = inner.nodeId;
    const maxBatchSize = options.maxBatchSize ?? 500;
    const schedule = options.schedule ?? ((flush: () => void) => void setImmediate(flush));
    const settings = { maxBatchSize, schedule, nodeId: inner.nodeId };
    this.prepares = new Coalescer('prepare', settings, (r) => r.key, (reqs, t) => inner.prepare(reqs, t));
    this.accepts = new Coalescer('accept', settings, (r) => r.key, (reqs, t) => inner.accept(reqs, t));
    this.peeks = new Coalescer('peek', settings, (key) => key, (keys, t) => inner.peek(keys, t));
  }

  prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> {
    return this.prepares.call(requests, timeoutMs);
  }

  accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> {
    return this.accepts.call(requests, timeoutMs);
  }

  peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> {
    return this.peeks.call(keys, timeoutMs);
  }
}

interface CoalescerSettings {
  readonly maxBatchSize: number;
  readonly schedule: (flush: () => void) => void;
  readonly nodeId: string;
}

interface Waiting<Req, Rep> {
  readonly requests: readonly Req[];
  readonly timeoutMs: number;
  readonly resolve: (replies: Rep[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Gathers calls of one kind to one acceptor and sends them together. */
class Coalescer<Req, Rep extends { readonly key: string }> {
  private gathering: Waiting<Req, Rep>[] = [];

  constructor(
    private readonly kind: string,
    private readonly settings: CoalescerSettings,
    private readonly keyOf: (request: Req) => string,
    private readonly send: (requests: Req[], timeoutMs: number) => Promise<Rep[]>,
  ) {}

  call(requests: readonly Req[], timeoutMs: number): Promise<Rep[]> {
    if (requests.length === 0) return Promise.resolve([]);
    const replies = new Promise<Rep[]>((resolve, reject) => {
      if (this.gathering.length === 0) this.settings.schedule(() => this.flush());
      this.gathering.push({ requests, timeoutMs, resolve, reject });
    });
    // Each caller keeps its own time budget even when its batch-mates have longer ones.
    return withTimeout(replies, timeoutMs, `${this.kind} at ${this.settings.nodeId}`);
  }

  private flush(): void {
    const waiting = this.gathering;
    this.gathering = [];
    for (const batch of this.splitIntoBatches(waiting)) this.sendBatch(batch);
  }

  private splitIntoBatches(waiting: readonly Waiting<Req, Rep>[]): Waiting<Req, Rep>[][] {
    const batches: Waiting<Req, Rep>[][] = [];
    let current: Waiting<Req, Rep>[] = [];
    let keys = new Set<string>();
    for (const entry of waiting) {
      const entryKeys = entry.requests.map(this.keyOf);
      const clashes = entryKeys.some((key) => keys.has(key));
      const tooBig = keys.size > 0 && keys.size + entryKeys.length > this.settings.maxBatchSize;
      if (clashes || tooBig) {
        batches.push(current);
        current = [];
        keys = new Set();
      }
      current.push(entry);
      for (const key of entryKeys) keys.add(key);
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  private sendBatch(batch: readonly Waiting<Req, Rep>[]): void {
    const requests = batch.flatMap((entry) => entry.requests);
    const timeoutMs = Math.max(...batch.map((entry) => entry.timeoutMs));
    let sent: Promise<Rep[]>;
    try {
      sent = this.send(requests, timeoutMs);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (replies) => this.distribute(batch, requests, replies),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }

  private distribute(batch: readonly Waiting<Req, Rep>[], requests: readonly Req[], replies: readonly Rep[]): void {
    const mismatch =
      replies.length !== requests.length || replies.some((reply, i) => reply.key !== this.keyOf(requests[i]));
    if (mismatch) {
      const error = new ProtocolViolationError(`${this.kind} at ${this.settings.nodeId}: replies do not match requests`);
      batch.forEach((entry) => entry.reject(error));
      return;
    }
    let offset = 0;
    for (const entry of batch) {
      entry.resolve(replies.slice(offset, offset + entry.requests.length));
      offset += entry.requests.length;
    }
  }
}
