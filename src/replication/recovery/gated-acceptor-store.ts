import { AcceptorStore, SettleRequest } from '../core/acceptor-store';
import { KeyRange } from '../core/key-range';
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

  async list(range: KeyRange, limit: number): Promise<PeekReply[]> {
    this.gate.assertVoting();
    return this.store.list(range, limit);
  }

  async unsettledTombstones(after: string | null, limit: number): Promise<PeekReply[]> {
    this.gate.assertVoting();
    return this.store.unsettledTombstones(after, limit);
  }

  async settle(requests: readonly SettleRequest[]): Promise<void> {
    this.gate.assertVoting();
    return this.store.settle(requests);
  }

  async expiredBy(time: number, limit: number): Promise<PeekReply[]> {
    this.gate.assertVoting();
    return this.store.expiredBy(time, limit);
  }
}
