import { AcceptorStore, SettleRequest } from './acceptor-store';
import { KeyRange } from './key-range';
import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from './messages';

/**
 * A store in front of another that hands every call on unchanged: the base of
 * wrappers that change only some calls (batching, signalling), so a method
 * added to AcceptorStore reaches them without being written again. The gate
 * (GatedAcceptorStore) deliberately does not use it: every method it passes
 * must be gated, by hand.
 */
export class ForwardingAcceptorStore extends AcceptorStore {
  constructor(protected readonly inner: AcceptorStore) {
    super();
  }

  prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    return this.inner.prepare(requests);
  }

  accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    return this.inner.accept(requests);
  }

  peek(keys: readonly string[]): Promise<PeekReply[]> {
    return this.inner.peek(keys);
  }

  list(range: KeyRange, limit: number): Promise<PeekReply[]> {
    return this.inner.list(range, limit);
  }

  unsettledTombstones(after: string | null, limit: number): Promise<PeekReply[]> {
    return this.inner.unsettledTombstones(after, limit);
  }

  settle(requests: readonly SettleRequest[]): Promise<void> {
    return this.inner.settle(requests);
  }

  expiredBy(time: number, limit: number): Promise<PeekReply[]> {
    return this.inner.expiredBy(time, limit);
  }
}
