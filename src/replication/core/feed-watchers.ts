import { FeedAdvance, FeedLearner } from './feed-learner';
import { FeedEvent, FeedPosition, compareFeedPositions } from './feed-position';
import { FeedStore } from './feed-store';

/** What a watcher is sent, in order. `position` is the id to resume from after it. */
export type WatchMessage =
  | { readonly kind: 'event'; readonly event: FeedEvent; readonly position: FeedPosition }
  /** Events may have been missed before `position`: re-list, then carry on from here. */
  | { readonly kind: 'resync'; readonly position: FeedPosition };

/** Takes a message; false when the watcher cannot keep up (it is then dropped and should reconnect). */
export type WatchSink = (message: WatchMessage) => boolean;

export interface Watch {
  /** Where a reconnect resumes: past everything this watch has been sent or passed over. */
  position(): FeedPosition;
  stop(): void;
}

export interface FeedWatchersOptions {
  readonly learner: FeedLearner;
  readonly store: FeedStore;
  /** Entries read per query while a resumed watcher catches up. Default 500. */
  readonly pageSize?: number;
}

interface Watcher {
  readonly prefix: string;
  readonly sink: WatchSink;
  /** Last position sent; while live, everything up to the learner's frontier was passed over too. */
  position: FeedPosition;
  /** Advances that came while it caught up from the store, applied when it is done. */
  backlog?: FeedAdvance[];
  stopped: boolean;
  onDropped: () => void;
}

/**
 * Every watcher of one node: resumes from the stored feed, then gets each
 * new event from the learner's flushes. A flush costs a lookup per event per
 * distinct watched prefix length, whatever the number of watchers.
 */
export class FeedWatchers {
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  /** Resumed watchers still reading the stored feed. */
  private readonly catchingUp = new Set<Watcher>();
  /** How many prefixes of each length are watched: an event's key is cut only at these. */
  private readonly prefixLengths = new Map<number, number>();
  /** The frontier of the last advance: live watchers have passed everything up to it. */
  private frontier: number;
  private readonly pageSize: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: FeedWatchersOptions) {
    this.pageSize = options.pageSize ?? 500;
    this.frontier = options.learner.current;
    this.unsubscribe = options.learner.onAdvance((advance) => this.dispatch(advance));
  }

  get count(): number {
    let count = 0;
    for (const watchers of this.byPrefix.values()) count += watchers.size;
    return count;
  }

  /**
   * Starts a watch of `prefix` after `after` (an id a watcher was sent, from
   * any node), or at the frontier when undefined. `onDropped` is called if the
   * sink cannot keep up.
   */
  async watch(prefix: string, after: FeedPosition | undefined, sink: WatchSink, onDropped: () => void): Promise<Watch> {
    const watcher: Watcher = {
      prefix,
      sink,
      position: after ?? { stamp: this.frontier },
      stopped: false,
      onDropped,
      ...(after === undefined ? {} : { backlog: [] }),
    };
    this.add(watcher);
    if (watcher.backlog !== undefined) this.catchingUp.add(watcher);
    const watch: Watch = {
      position: () => this.positionOf(watcher),
      stop: () => this.remove(watcher),
    };
    if (after !== undefined) await this.catchUp(watcher);
    return watch;
  }

  close(): void {
    this.unsubscribe();
    for (const watchers of [...this.byPrefix.values()]) for (const watcher of watchers) this.remove(watcher);
  }

  private positionOf(watcher: Watcher): FeedPosition {
    if (watcher.backlog !== undefined || watcher.stopped) return watcher.position;
    const passed = { stamp: this.frontier };
    return compareFeedPositions(watcher.position, passed) > 0 ? watcher.position : passed;
  }

  /** Reads the stored feed from the watcher's position up to the frontier, then lets it go live. */
  private async catchUp(watcher: Watcher): Promise<void> {
    const horizon = await this.options.store.horizon();
    if (horizon !== undefined && compareFeedPositions(watcher.position, horizon) <= 0) {
      // Events after it were deleted: nothing can be replayed.
      if (!this.send(watcher, { kind: 'resync', position: { stamp: Math.max(this.frontier, horizon.stamp) } })) return;
    } else {
      const upTo = this.frontier;
      for (;;) {
        if (watcher.stopped) return;
        const entries = await this.options.store.read(watcher.position, upTo, watcher.prefix, this.pageSize);
        for (const entry of entries) {
          const message: WatchMessage =
            entry.kind === 'event'
              ? { kind: 'event', event: entry.event, position: { stamp: entry.event.stamp, key: entry.event.key } }
              : { kind: 'resync', position: { stamp: entry.gap.at } };
          if (!this.send(watcher, message)) return;
        }
        if (entries.length < this.pageSize) break;
      }
      const caughtUpTo = { stamp: upTo };
      if (compareFeedPositions(watcher.position, caughtUpTo) < 0) watcher.position = caughtUpTo;
    }
    // Flushes that came meanwhile, in order; each skips what the watcher has already passed.
    const backlog = watcher.backlog ?? [];
    watcher.backlog = undefined;
    this.catchingUp.delete(watcher);
    for (const advance of backlog) if (!this.deliver(watcher, advance)) return;
  }

  private dispatch(advance: FeedAdvance): void {
    const previous = this.frontier;
    this.frontier = advance.frontier;
    for (const watcher of this.catchingUp) watcher.backlog!.push(advance);
    if (advance.gaps.length > 0) {
      // A gap concerns everyone; late events are dealt with one watcher at a time.
      for (const watchers of [...this.byPrefix.values()])
        for (const watcher of [...watchers]) {
          if (watcher.backlog !== undefined) continue;
          this.pass(watcher, previous);
          this.deliver(watcher, advance);
        }
      return;
    }
    for (const event of advance.events) {
      // Late events (at or below the last frontier) are not for live watchers: the gap that comes with them is.
      if (event.stamp <= previous) continue;
      const position = { stamp: event.stamp, key: event.key };
      for (const length of this.prefixLengths.keys()) {
        if (length > event.key.length) continue;
        const watchers = this.byPrefix.get(event.key.slice(0, length));
        if (watchers === undefined) continue;
        for (const watcher of [...watchers]) {
          if (watcher.backlog !== undefined) continue; // it gets the whole advance when caught up
          // A watcher that resumed from an id another node gave it may be ahead of this node.
          if (compareFeedPositions(position, watcher.position) <= 0) continue;
          this.send(watcher, { kind: 'event', event, position });
        }
      }
    }
  }

  /** A live watcher has passed everything up to `frontier`. */
  private pass(watcher: Watcher, frontier: number): void {
    const passed = { stamp: frontier };
    if (compareFeedPositions(watcher.position, passed) < 0) watcher.position = passed;
  }

  /** One advance for one watcher: its events under the prefix past its position, then the gap if any. */
  private deliver(watcher: Watcher, advance: FeedAdvance): boolean {
    for (const event of advance.events) {
      if (!event.key.startsWith(watcher.prefix)) continue;
      const position = { stamp: event.stamp, key: event.key };
      if (compareFeedPositions(position, watcher.position) <= 0) continue;
      if (!this.send(watcher, { kind: 'event', event, position })) return false;
    }
    for (const gap of advance.gaps) {
      const position = { stamp: gap.at };
      if (compareFeedPositions(position, watcher.position) <= 0) continue;
      if (!this.send(watcher, { kind: 'resync', position })) return false;
    }
    this.pass(watcher, advance.frontier);
    return true;
  }

  /** Hands the message over; the watcher's position moves only if it was taken. */
  private send(watcher: Watcher, message: WatchMessage): boolean {
    if (watcher.stopped) return false;
    if (watcher.sink(message)) {
      watcher.position = message.position;
      return true;
    }
    this.remove(watcher);
    watcher.onDropped();
    return false;
  }

  private add(watcher: Watcher): void {
    const watchers = this.byPrefix.get(watcher.prefix) ?? new Set();
    if (watchers.size === 0)
      this.prefixLengths.set(watcher.prefix.length, (this.prefixLengths.get(watcher.prefix.length) ?? 0) + 1);
    watchers.add(watcher);
    this.byPrefix.set(watcher.prefix, watchers);
  }

  private remove(watcher: Watcher): void {
    if (watcher.stopped) return;
    watcher.stopped = true;
    this.catchingUp.delete(watcher);
    const watchers = this.byPrefix.get(watcher.prefix);
    if (watchers === undefined || !watchers.delete(watcher) || watchers.size > 0) return;
    this.byPrefix.delete(watcher.prefix);
    const count = this.prefixLengths.get(watcher.prefix.length)! - 1;
    if (count === 0) this.prefixLengths.delete(watcher.prefix.length);
    else this.prefixLengths.set(watcher.prefix.length, count);
  }
}
