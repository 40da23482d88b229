import { FeedBatch, FeedLink } from './feed-batch';
import { FeedEvent } from './feed-position';
import { HybridClock } from './hybrid-clock';
import { StampsInFlight } from './stamps-in-flight';

export interface FeedPublisherOptions {
  readonly nodeId: string;
  /** New at every start of the process (a random id): tells receivers the stream started over. */
  readonly epoch: string;
  /** Every node's learner, this node's own included. */
  readonly links: readonly FeedLink[];
  readonly clock: HybridClock;
  /** How often a batch is made (its closed stamp, and any events). Default 50. */
  readonly intervalMs?: number;
  /**
   * Batches kept for links that fall behind, by count and by events. A link
   * further behind skips to the oldest kept: its node sees the numbers skip
   * (a gap), and may take the missing ones from a peer. Defaults 1200 (a
   * minute at 50 ms) and 20,000.
   */
  readonly keepBatches?: number;
  readonly keepEvents?: number;
  /** Most batches in one send. Default 100. */
  readonly batchesPerSend?: number;
  /** Bound of one send. Default 1000. */
  readonly sendTimeoutMs?: number;
  /** For the pause after a failed send. Default Date.now. */
  readonly now?: () => number;
}

/**
 * The proposer's side of the change feed (docs/protocol.md, "Watching"): it
 * stamps the states the proposer builds, keeps their stamps in flight until
 * their outcome is known, and makes one ordered stream of batches (the
 * events of chosen states, then the closed stamp), which every link sends
 * its node in order, resending what failed, one send at a time.
 */
export class FeedPublisher {
  private readonly inFlight = new StampsInFlight();
  private readonly links: LinkCursor[];
  private readonly intervalMs: number;
  private readonly keepBatches: number;
  private readonly keepEvents: number;
  private readonly batchesPerSend: number;
  private readonly sendTimeoutMs: number;
  private readonly now: () => number;
  /** Events of chosen states since the last batch. */
  private queued: FeedEvent[] = [];
  private gapFrom: number | undefined;
  /** The stream's latest batches, oldest first; `log[0].seq` is `firstKept`. */
  private log: FeedBatch[] = [];
  private loggedEvents = 0;
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: FeedPublisherOptions) {
    this.intervalMs = options.intervalMs ?? 50;
    this.keepBatches = options.keepBatches ?? 1200;
    this.keepEvents = options.keepEvents ?? 20_000;
    this.batchesPerSend = options.batchesPerSend ?? 100;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
    this.links = options.links.map((link) => ({ link, next: 1, sending: false, retryDelayMs: 0, retryAt: 0 }));
  }

  /** Makes a batch and sends it every intervalMs until stop(). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The stamp for a state built on a base stamped `baseStamp` (undefined: a
   * base from before stamps): above it, and in flight until chosen(),
   * notChosen() or unknown() says how it ended.
   */
  stamp(baseStamp: number | undefined): number {
    if (baseStamp !== undefined) this.options.clock.observe(baseStamp);
    const stamp = this.options.clock.next();
    this.inFlight.add(stamp);
    return stamp;
  }

  /** The state stamped `event.stamp` is chosen: its event goes out ahead of the next closed stamp. */
  chosen(event: FeedEvent): void {
    this.queued.push(event);
    this.inFlight.remove(event.stamp);
  }

  /** The state stamped `stamp` was never sent, or can never be chosen. */
  notChosen(stamp: number): void {
    this.inFlight.remove(stamp);
  }

  /** The proposer gave up on the state's outcome: it may be chosen, and nobody will publish it (rule 5). */
  unknown(stamp: number): void {
    this.gapFrom = this.gapFrom === undefined ? stamp : Math.min(this.gapFrom, stamp);
    this.inFlight.remove(stamp);
  }

  /**
   * A state found by a round's prepare that may have been chosen without its
   * proposer publishing it (the grants disagreed), now chosen for certain.
   * Its stamp is behind the closed stamps: receivers take it as late, or drop
   * it if they have it.
   */
  recovered(event: FeedEvent): void {
    this.queued.push(event);
  }

  /** Every event sent from now on has a higher stamp, but for recovered ones. */
  closed(): number {
    const lowest = this.inFlight.lowest();
    return lowest === undefined ? this.clockNow() : lowest - 1;
  }

  /** The clock's current value (raising it to now): every later stamp is above it. */
  protected clockNow(): number {
    return this.options.clock.current();
  }

  /**
   * Makes the next batch (the events queued, then the closed stamp: read
   * after the events are taken, since an event not taken yet belongs to a
   * state still in flight) and has every idle link send what it has not.
   */
  flush(): void {
    const events = this.queued;
    this.queued = [];
    const gapFrom = this.gapFrom;
    this.gapFrom = undefined;
    const batch: FeedBatch = {
      source: this.options.nodeId,
      epoch: this.options.epoch,
      seq: ++this.seq,
      events,
      ...(gapFrom === undefined ? {} : { gapFrom }),
      closed: this.closed(),
      issued: this.clockNow(),
    };
    this.log.push(batch);
    this.loggedEvents += events.length;
    this.trimLog();
    for (const cursor of this.links) this.pump(cursor);
  }

  private trimLog(): void {
    const slowest = Math.min(...this.links.map((cursor) => cursor.next));
    while (
      this.log.length > 1 &&
      (this.log[0]!.seq < slowest || this.log.length > this.keepBatches || this.loggedEvents > this.keepEvents)
    ) {
      this.loggedEvents -= this.log.shift()!.events.length;
    }
  }

  private pump(cursor: LinkCursor): void {
    if (cursor.sending || this.now() < cursor.retryAt || this.log.length === 0) return;
    const firstKept = this.log[0]!.seq;
    // Too far behind: what it missed is gone; its node sees the numbers skip.
    if (cursor.next < firstKept) cursor.next = firstKept;
    const from = cursor.next - firstKept;
    const batches = this.log.slice(from, from + this.batchesPerSend);
    if (batches.length === 0) return;
    cursor.sending = true;
    cursor.link.send(batches, this.sendTimeoutMs).then(
      () => {
        cursor.sending = false;
        cursor.retryDelayMs = 0;
        cursor.next = batches.at(-1)!.seq + 1;
      },
      () => {
        // Maybe not delivered: sent again after a pause (doubling to a second), so a dead node is not hammered.
        cursor.sending = false;
        cursor.retryDelayMs = Math.min(1000, Math.max(50, cursor.retryDelayMs * 2));
        cursor.retryAt = this.now() + cursor.retryDelayMs;
      },
    );
  }
}

/** Where one link is in the stream. */
interface LinkCursor {
  readonly link: FeedLink;
  /** The seq of the first batch it has not delivered. */
  next: number;
  sending: boolean;
  retryDelayMs: number;
  retryAt: number;
}
