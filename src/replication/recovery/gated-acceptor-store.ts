import { AcceptorStore } from '../core/acceptor-store';
import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from '../core/messages';
import { AcceptorGate } from './acceptor-gate';

/**
 * The acceptor as the protocol sees it: the store behind the gate. While the
 * gate is closed every call fails, which proposers treat as "no answer".
 */
export class GatedAcceptorStore extends AcceptorStore {
  constructor(
    private readonly store: AcceptorStore,
    private readonly gate: AcceptorGate,
  ) {
    super();
  }

  async prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    this.gate.assertVoting();
    return this.store.prepare(requests);
  }

  async accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    this.gate.assertVoting();
    return this.store.accept(requests);
  }

  async peek(keys: readonly string[]): Promise<PeekReply[]> {
    this.gate.assertVoting();
    return this.store.peek(keys);
  }
}
