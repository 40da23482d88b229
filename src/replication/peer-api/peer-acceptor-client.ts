import { KeyRange } from '../core/key-range';
import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from '../core/messages';
import { RegisterState } from '../core/register';
import { AcceptorClient } from '../core/transport';
import { PeerChannel } from '../../peer-transport/peer-channel';

type AcceptorCall = 'prepare' | 'accept' | 'peek' | 'list';

/**
 * Reaches a peer's acceptor over the peer channel. Any failure (timeout,
 * refused connection, error status) rejects: to the proposer that means "no
 * answer", never "rejected".
 */
export class PeerAcceptorClient implements AcceptorClient {
  constructor(
    readonly nodeId: string,
    private readonly channel: PeerChannel,
  ) {}

  async prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> {
    const replies = await this.call<PrepareReply>('prepare', { requests }, timeoutMs);
    replies.forEach((reply) => reply.ok && withLineage(reply));
    return replies;
  }

  async accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> {
    return this.call<AcceptReply>('accept', { requests }, timeoutMs);
  }

  async peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> {
    const replies = await this.call<PeekReply>('peek', { keys }, timeoutMs);
    replies.forEach(withLineage);
    return replies;
  }

  async list(range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]> {
    return this.call<PeekReply>('list', { range, limit }, timeoutMs);
  }

  /** Acceptor calls are safe to repeat (the same ballot means the same answer). */
  private async call<Reply>(method: AcceptorCall, body: unknown, timeoutMs: number): Promise<Reply[]> {
    const reply = await this.channel.call<{ replies?: Reply[] }>(method, body, Math.floor(timeoutMs), {
      idempotent: true,
    });
    const replies = reply?.replies;
    if (!Array.isArray(replies)) throw new Error(`peer ${this.nodeId}: reply without a replies list`);
    return replies;
  }
}

/**
 * A peer on the release before lineages answers states without one: read it
 * as empty, "not known", which outcome resolution treats with its older rules.
 */
function withLineage(reply: { state: RegisterState }): void {
  if (!Array.isArray(reply.state?.lineage)) reply.state = { ...reply.state, lineage: [] };
}
