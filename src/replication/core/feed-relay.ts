import { FeedBatch } from './feed-batch';
import { FeedLearner } from './feed-learner';

/** How a node asks a peer for the batches of a source's stream that the peer kept. */
export interface FeedRelayClient {
  readonly nodeId: string;
  batchesAfter(source: string, epoch: string | undefined, afterSeq: number, timeoutMs: number): Promise<FeedBatch[]>;
}

export interface FeedRelayOptions {
  readonly nodeId: string;
  readonly learner: FeedLearner;
  readonly peers: readonly FeedRelayClient[];
  /** A source unheard for this long is asked for through the peers. Default 300. */
  readonly quietMs?: number;
  /** Default 500. */
  readonly timeoutMs?: number;
}

/**
 * Fetches, through the peers, the stream of a proposer this node cannot hear
 * (a partition that cuts only some links): the batches arrive as the
 * proposer sent them, so the learner treats them like its own. Only a
 * proposer that no peer hears either is given up on (rule 4): it cannot have
 * a state chosen without an acceptor, and an acceptor's node hears it.
 */
export class FeedRelay {
  private readonly quietMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: FeedRelayOptions) {
    this.quietMs = options.quietMs ?? 300;
    this.timeoutMs = options.timeoutMs ?? 500;
  }

  /** One pass over the sources gone quiet. */
  async pass(): Promise<void> {
    const { learner, nodeId } = this.options;
    await Promise.all(
      learner.sourceIds
        .filter((source) => source !== nodeId && learner.streamOf(source).quietMs >= this.quietMs)
        .map((source) => this.fetch(source)),
    );
  }

  private async fetch(source: string): Promise<void> {
    const { learner } = this.options;
    for (const peer of this.options.peers) {
      if (peer.nodeId === source) continue;
      const { epoch, seq } = learner.streamOf(source);
      let batches: FeedBatch[];
      try {
        batches = await peer.batchesAfter(source, epoch, seq, this.timeoutMs);
      } catch {
        continue; // that peer is away too: try the next
      }
      for (const batch of [...batches].sort((a, b) => a.seq - b.seq)) {
        if (batch.source === source) learner.receive(batch);
      }
      if (learner.streamOf(source).quietMs < this.quietMs) return;
    }
  }
}
