import { FeedEvent, FeedPosition } from './feed-position';

/**
 * A break in a node's feed (docs/protocol.md, "Watching", rules 1-5): events
 * from stamp `from` on may be missing. It is stored at `at`, a frontier the
 * node moved to after finding it, so every watcher still to pass `at` is told.
 */
export interface FeedGap {
  readonly at: number;
  readonly from: number;
}

export type FeedEntry =
  { readonly kind: 'event'; readonly event: FeedEvent } | { readonly kind: 'gap'; readonly gap: FeedGap };

/** What one flush of a learner stores, in one transaction. */
export interface FeedFlush {
  /** In feed order; late events (below the previous frontier) included. */
  readonly events: readonly FeedEvent[];
  readonly gaps: readonly FeedGap[];
  /** When set: no watcher will be served past this stamp until a later flush raises it. */
  readonly bound?: number;
}

/**
 * A node's change feed, as the learner writes it and watchers read it. One
 * per node, in its own database; nothing here is replicated. (A class, so it
 * can serve as its own injection token, like AcceptorStore.)
 */
export abstract class FeedStore {
  /**
   * The last bound stored (undefined for a new feed): no watcher was served
   * past it, so a restarted node starts its gap there.
   */
  abstract loadBound(): Promise<number | undefined>;
  abstract append(flush: FeedFlush): Promise<void>;
  /** Whether the feed holds an event at each position (a late event it already has is dropped). */
  abstract holds(positions: readonly FeedPosition[]): Promise<boolean[]>;
  /**
   * Up to `limit` entries after `after` and at or below stamp `upTo`, in feed
   * order: events under `prefix`, and every gap.
   */
  abstract read(after: FeedPosition, upTo: number, prefix: string, limit: number): Promise<FeedEntry[]>;
  /**
   * Deletes events and gaps stamped below `olderThan`, and the oldest beyond
   * the newest `keep` events. Returns the position of the newest entry
   * deleted, ever (undefined while nothing was): a watcher resuming at or
   * below it may have lost events, so it is told to resync.
   */
  abstract trim(olderThan: number, keep: number): Promise<FeedPosition | undefined>;
  /** The horizon trim() last returned, kept across restarts. */
  abstract horizon(): Promise<FeedPosition | undefined>;
}
