import { AcceptorStore } from './acceptor-store';
import { KeyRange } from './key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';
import { AcceptorClient } from './transport';
import { withTimeout } from '../../common/with-timeout';

/**
 * Reaches this node's own acceptor: a direct call into its store, no network.
 * The timeout still applies, because a stuck database must look like a peer
 * that does not answer rather than hang the round.
 */
export class LocalAcceptorClient implements AcceptorClient {
  constructor(
    readonly nodeId: string,
    private readonly store: AcceptorStore,
  ) {}

  prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> {
    return withTimeout(this.store.prepare(requests), timeoutMs, `prepare at ${this.nodeId}`);
  }

  accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> {
    return withTimeout(this.store.accept(requests), timeoutMs, `accept at ${this.nodeId}`);
  }

  peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> {
    return withTimeout(this.store.peek(keys), timeoutMs, `peek at ${this.nodeId}`);
  }

  list(range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]> {
    return withTimeout(this.store.list(range, limit), timeoutMs, `list at ${this.nodeId}`);
  }
}
