import { FeedBatch, FeedLink } from '../core/feed-batch';
import { PeerChannel } from '../../peer-transport/peer-channel';

/** A peer's feed learner, reached over the peer channel. Batches are safe to repeat: the learner drops repeats by number. */
export class PeerFeedLink implements FeedLink {
  constructor(
    readonly nodeId: string,
    private readonly channel: PeerChannel,
  ) {}

  async send(batches: readonly FeedBatch[], timeoutMs: number): Promise<void> {
    await this.channel.call('feed', { batches }, Math.floor(timeoutMs), { idempotent: true });
  }
}
