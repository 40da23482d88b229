import { FeedEvent } from './feed-position';

/**
 * What a proposer sends one node on its feed stream (docs/protocol.md,
 * "Watching"): the events of states it saw chosen since the last batch, in
 * the order they were chosen, then its closed stamp. Batches of one stream
 * are numbered from 1 in the epoch of the proposer's process; a receiver that
 * sees a number skipped or a new epoch knows it may have missed events.
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
   * proposer gave up on its outcome, or dropped events it could not deliver):
   * the receiver cannot prove it has everything from this stamp on.
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

/** How a publisher reaches one node's learner. A rejection means "maybe not delivered": the batch is sent again. */
export interface FeedLink {
  readonly nodeId: string;
  send(batch: FeedBatch, timeoutMs: number): Promise<void>;
}
