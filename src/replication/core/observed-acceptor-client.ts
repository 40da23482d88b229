import { KeyRange } from './key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';
import { ReplicationObserver } from './replication-observer';
import { AcceptorClient } from './transport';

/**
 * Reports how many requests each call to a peer's acceptor carries. The
 * proposer's batching sits in front of it, so one call here is one frame on
 * the peer channel, and its size is the batch the proposer gathered.
 */
export class ObservedAcceptorClient implements AcceptorClient {
  readonly nodeId: string;

  constructor(
    private readonly inner: AcceptorClient,
    private readonly observer: ReplicationObserver,
  ) {
    this.nodeId = inner.nodeId;
  }

  prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> {
    this.observer.peerCallBatched('prepare', requests.length);
    return this.inner.prepare(requests, timeoutMs);
  }

  accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> {
    this.observer.peerCallBatched('accept', requests.length);
    return this.inner.accept(requests, timeoutMs);
  }

  peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> {
    this.observer.peerCallBatched('peek', keys.length);
    return this.inner.peek(keys, timeoutMs);
  }

  list(range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]> {
    return this.inner.list(range, limit, timeoutMs);
  }
}
