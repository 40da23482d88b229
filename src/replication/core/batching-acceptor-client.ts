import { CallCoalescer, scheduleOnImmediate } from '../../common/call-coalescer';
import { KeyRange } from './key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';
import { AcceptorClient } from './transport';

export interface BatchingOptions {
  /** Most keys in one call. Default 500. */
  readonly maxBatchSize?: number;
  /** Calls of one kind in flight to the acceptor at once; more gather meanwhile. Default 2. */
  readonly maxInFlight?: number;
  /** When to send what has gathered. Default: setImmediate, i.e. after the current macrotask. */
  readonly schedule?: (flush: () => void) => void;
  /** See CoalescerSettings.lingerMs. Default 0. */
  readonly lingerMs?: number;
}

/**
 * Wraps an AcceptorClient so that calls issued together (rounds for
 * different keys started in one tick, or while earlier calls are in flight)
 * travel as one call: one HTTP request and one SQL statement instead of one
 * per key. Replies are split back to their callers.
 */
export class BatchingAcceptorClient implements AcceptorClient {
  readonly nodeId: string;
  private readonly prepares: CallCoalescer<PrepareRequest, PrepareReply>;
  private readonly accepts: CallCoalescer<AcceptRequest, AcceptReply>;
  private readonly peeks: CallCoalescer<string, PeekReply>;

  constructor(
    private readonly inner: AcceptorClient,
    options: BatchingOptions = {},
  ) {
    this.nodeId = inner.nodeId;
    const settings = {
      maxBatchSize: options.maxBatchSize ?? 500,
      maxInFlight: options.maxInFlight ?? 2,
      schedule: options.schedule ?? scheduleOnImmediate,
      lingerMs: options.lingerMs ?? 0,
      target: inner.nodeId,
    };
    // Every caller passes a budget, so the batch's budget is always defined.
    this.prepares = new CallCoalescer(
      'prepare',
      settings,
      (r) => r.key,
      (reqs, t) => inner.prepare(reqs, t!),
    );
    this.accepts = new CallCoalescer(
      'accept',
      settings,
      (r) => r.key,
      (reqs, t) => inner.accept(reqs, t!),
    );
    this.peeks = new CallCoalescer(
      'peek',
      settings,
      (key) => key,
      (keys, t) => inner.peek(keys, t!),
    );
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

  /** A page is already one call for many keys: nothing to gather. */
  list(range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]> {
    return this.inner.list(range, limit, timeoutMs);
  }
}
