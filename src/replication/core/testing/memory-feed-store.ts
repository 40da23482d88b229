import { FeedEvent, FeedPosition, compareFeedPositions } from '../feed-position';
import { FeedEntry, FeedFlush, FeedGap, FeedStore } from '../feed-store';

/** The feed in arrays: for tests, and the reference the SQL store must match. `wipe()` simulates disk loss. */
export class MemoryFeedStore implements FeedStore {
  private events: FeedEvent[] = [];
  private gaps: FeedGap[] = [];
  private bound: number | undefined;
  private trimmedTo: FeedPosition | undefined;
  /** Makes the next append fail, as a database that is down would. */
  failNextAppend = false;

  loadBound(): Promise<number | undefined> {
    return Promise.resolve(this.bound);
  }

  append(flush: FeedFlush): Promise<void> {
    if (this.failNextAppend) {
      this.failNextAppend = false;
      return Promise.reject(new Error('append failed (test)'));
    }
    const copy = structuredClone(flush);
    this.events.push(...copy.events);
    this.events.sort(compareFeedPositions);
    this.gaps.push(...copy.gaps);
    this.gaps.sort((a, b) => a.at - b.at);
    if (copy.bound !== undefined) this.bound = copy.bound;
    return Promise.resolve();
  }

  holds(positions: readonly FeedPosition[]): Promise<boolean[]> {
    return Promise.resolve(
      positions.map((position) => this.events.some((event) => compareFeedPositions(event, position) === 0)),
    );
  }

  read(after: FeedPosition, upTo: number, prefix: string, limit: number): Promise<FeedEntry[]> {
    const entries: Array<FeedEntry & { position: FeedPosition }> = [
      ...this.events
        .filter((event) => event.key.startsWith(prefix))
        .map((event) => ({ kind: 'event' as const, event, position: event })),
      ...this.gaps.map((gap) => ({ kind: 'gap' as const, gap, position: { stamp: gap.at } })),
    ];
    return Promise.resolve(
      entries
        .filter((entry) => compareFeedPositions(entry.position, after) > 0 && entry.position.stamp <= upTo)
        .sort((a, b) => compareFeedPositions(a.position, b.position))
        .slice(0, limit)
        .map((entry): FeedEntry =>
          entry.kind === 'event'
            ? { kind: 'event', event: structuredClone(entry.event) }
            : { kind: 'gap', gap: { ...entry.gap } },
        ),
    );
  }

  trim(olderThan: number, keep: number): Promise<FeedPosition | undefined> {
    const cut = Math.max(0, this.events.length - keep);
    const doomed = new Set(this.events.filter((event, i) => i < cut || event.stamp < olderThan));
    const doomedGaps = this.gaps.filter((gap) => gap.at < olderThan);
    const deleted: FeedPosition[] = [
      ...[...doomed].map((event) => ({ stamp: event.stamp, key: event.key })),
      ...doomedGaps.map((gap) => ({ stamp: gap.at })),
    ];
    this.events = this.events.filter((event) => !doomed.has(event));
    this.gaps = this.gaps.filter((gap) => gap.at >= olderThan);
    for (const position of deleted)
      if (this.trimmedTo === undefined || compareFeedPositions(position, this.trimmedTo) > 0) this.trimmedTo = position;
    return Promise.resolve(this.trimmedTo);
  }

  horizon(): Promise<FeedPosition | undefined> {
    return Promise.resolve(this.trimmedTo);
  }

  /** Everything stored, in feed order: events and gaps (a gap after every event of its stamp). */
  all(): Promise<FeedEntry[]> {
    return this.read({ stamp: -1 }, Number.MAX_SAFE_INTEGER, '', Number.MAX_SAFE_INTEGER);
  }

  wipe(): void {
    this.events = [];
    this.gaps = [];
    this.bound = undefined;
    this.trimmedTo = undefined;
  }
}
