import { FeedEvent } from './feed-position';

/**
 * One batch of a proposer's feed stream (docs/protocol.md, "Watching"): the
 * events of states it saw chosen since the last batch, then its closed
 * stamp. A proposer makes one stream, the same batches for every node,
 * numbered from 1 in the epoch of its process, so a node that missed some
 * can take them from a peer; a receiver that sees a number skipped or a new
 * epoch knows it may have missed events.
 */
export interface FeedBatch {
  /** The publishing node. */
  readonly source: string;
  /** New at every start of the publishing process. */
  readonly epoch: string;
  /** 1, 2, ... within the epoch; a batch sent again keeps its number. */
  readonly seq: number;
  readonly events: readonly FeedEvent[];
  /**
   * The lowest stamp of a state that may be chosen but was not published (the
   * proposer gave up on its outcome): the receiver cannot prove it has
   * everything from this stamp up to `issued`.
   */
  readonly gapFrom?: number;
  /** Every event this proposer sends later has a higher stamp (except recovered ones, which are late). */
  readonly closed: number;
  /**
   * No event this proposer sent before this batch, or in it, has a higher
   * stamp: a gap this batch reveals is stored at a frontier at least this high.
   */
  readonly issued: number;
}

/** How a publisher reaches one node's learner. A rejection means "maybe not delivered": the batches are sent again. */
export interface FeedLink {
  readonly nodeId: string;
  /** Consecutive batches of the stream, in order. */
  send(batches: readonly FeedBatch[], timeoutMs: number): Promise<void>;
}
