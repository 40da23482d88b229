import { FeedBatch } from '../core/feed-batch';
import { FeedRelayClient } from '../core/feed-relay';
import { PeerChannel } from '../../peer-transport/peer-channel';
import { parseFeedBatches } from '../peer-api/peer-messages';

/** Asks a peer, over the peer channel, for the batches it kept of a proposer's stream. */
export class PeerFeedRelayClient implements FeedRelayClient {
  constructor(
    readonly nodeId: string,
    private readonly channel: PeerChannel,
  ) {}

  async batchesAfter(
    source: string,
    epoch: string | undefined,
    afterSeq: number,
    timeoutMs: number,
  ): Promise<FeedBatch[]> {
    const reply = await this.channel.call(
      'feed-relay',
      { source, epoch: epoch ?? null, afterSeq },
      Math.floor(timeoutMs),
      {
        idempotent: true,
      },
    );
    return parseFeedBatches(reply);
  }
}
