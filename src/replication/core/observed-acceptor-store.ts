import { AcceptorStore } from './acceptor-store';
import { ForwardingAcceptorStore } from './forwarding-acceptor-store';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';
import { ReplicationObserver } from './replication-observer';

/**
 * Reports how many requests each statement carries. It sits between the
 * coalescing store and the database store, where one call is one statement,
 * so the sizes it sees are the group commit's batches.
 */
export class ObservedAcceptorStore extends ForwardingAcceptorStore {
  constructor(
    inner: AcceptorStore,
    private readonly observer: ReplicationObserver,
  ) {
    super(inner);
  }

  override prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    this.observer.statementBatched('prepare', requests.length);
    return this.inner.prepare(requests);
  }

  override accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    this.observer.statementBatched('accept', requests.length);
    return this.inner.accept(requests);
  }

  override peek(keys: readonly string[]): Promise<PeekReply[]> {
    this.observer.statementBatched('peek', keys.length);
    return this.inner.peek(keys);
  }
}
