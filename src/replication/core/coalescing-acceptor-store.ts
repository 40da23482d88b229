import { AcceptorStore } from './acceptor-store';
import { ForwardingAcceptorStore } from './forwarding-acceptor-store';
import { CallCoalescer, scheduleOnImmediate } from '../../common/call-coalescer';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';

/**
 * The acceptor side of batching: requests that arrive together from several
 * proposers (this node's own and its peers') go to the store as one
 * statement, and while `maxInFlight` statements of a kind run, newer requests
 * gather (group commit). Each key's outcome stays its own.
 */
export class CoalescingAcceptorStore extends ForwardingAcceptorStore {
  private readonly prepares: CallCoalescer<PrepareRequest, PrepareReply>;
  private readonly accepts: CallCoalescer<AcceptRequest, AcceptReply>;
  private readonly peeks: CallCoalescer<string, PeekReply>;

  constructor(store: AcceptorStore, options: { maxBatchSize?: number; maxInFlight?: number; lingerMs?: number } = {}) {
    super(store);
    const settings = {
      maxBatchSize: options.maxBatchSize ?? 2000,
      maxInFlight: options.maxInFlight ?? 2,
      schedule: scheduleOnImmediate,
      lingerMs: options.lingerMs ?? 0,
      target: 'the local store',
    };
    this.prepares = new CallCoalescer(
      'prepare',
      settings,
      (r) => r.key,
      (reqs) => store.prepare(reqs),
    );
    this.accepts = new CallCoalescer(
      'accept',
      settings,
      (r) => r.key,
      (reqs) => store.accept(reqs),
    );
    this.peeks = new CallCoalescer(
      'peek',
      settings,
      (key) => key,
      (keys) => store.peek(keys),
    );
  }

  override prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    return this.prepares.call(requests);
  }

  override accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    return this.accepts.call(requests);
  }

  override peek(keys: readonly string[]): Promise<PeekReply[]> {
    return this.peeks.call(keys);
  }

  // Listing, settling and expiry lookups are one statement per call already, with nothing to share
  // between callers: they go to the store as they are (ForwardingAcceptorStore).
}
