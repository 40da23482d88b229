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
  /** How often each link gets a batch (its closed stamp, and any events). Default 50. */
  readonly intervalMs?: number;
  /** Events kept for a link that does not answer; beyond it they are dropped and a gap announced. Default 10,000. */
  readonly maxQueuedEvents?: number;
  /** Bound of one send. Default 1000. */
  readonly sendTimeoutMs?: number;
  /** For the pause after a failed send. Default Date.now. */
  readonly now?: () => number;
}

/**
 * The proposer's side of the change feed (docs/protocol.md, "Watching"): it
 * stamps the states the proposer builds, keeps their stamps in flight until
 * their outcome is known, and sends every node, on one ordered stream each,
 * the events of the states that were chosen, each stream's batches followed
 * by the closed stamp. One batch per link is in flight at a time, and a batch
 * that failed is sent again unchanged, so a stream arrives in order and a
 * receiver can drop a repeat by its number.
 */
export class FeedPublisher {
  private readonly inFlight = new StampsInFlight();
  private readonly streams: LinkStream[];
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: FeedPublisherOptions) {
    this.intervalMs = options.intervalMs ?? 50;
    this.streams = options.links.map(
      (link) =>
        new LinkStream(
          link,
          { source: options.nodeId, epoch: options.epoch },
          options.maxQueuedEvents ?? 10_000,
          options.sendTimeoutMs ?? 1000,
          options.now ?? (() => Date.now()),
        ),
    );
  }

  /** Sends every link a batch every intervalMs until stop(). */
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
    for (const stream of this.streams) stream.enqueue(event);
    this.inFlight.remove(event.stamp);
  }

  /** The state stamped `stamp` was never sent, or can never be chosen. */
  notChosen(stamp: number): void {
    this.inFlight.remove(stamp);
  }

  /** The proposer gave up on the state's outcome: it may be chosen, and nobody will publish it (rule 5). */
  unknown(stamp: number): void {
    for (const stream of this.streams) stream.announceGap(stamp);
    this.inFlight.remove(stamp);
  }

  /**
   * A state found by a round's prepare that may have been chosen without its
   * proposer publishing it (the grants disagreed), now chosen for certain.
   * Its stamp is behind the closed stamps: receivers take it as late, or drop
   * it if they have it.
   */
  recovered(event: FeedEvent): void {
    for (const stream of this.streams) stream.enqueue(event);
  }

  /** Every event sent from now on has a higher stamp, but for recovered ones. */
  closed(): number {
    const lowest = this.inFlight.lowest();
    return lowest === undefined ? this.options.clock.current() : lowest - 1;
  }

  /** Sends each idle link a batch now: the events queued for it, then the closed stamp. */
  flush(): void {
    for (const stream of this.streams)
      stream.pump(
        () => this.closed(),
        () => this.options.clock.current(),
      );
  }
}

/** One link's ordered stream of batches. */
class LinkStream {
  private queued: FeedEvent[] = [];
  private gapFrom: number | undefined;
  private seq = 0;
  /** The batch to send (again, until it gets through). */
  private unsent: FeedBatch | undefined;
  private inFlight = false;
  /** After a failed send, the next waits this long (doubling to a second), so a dead node is not hammered. */
  private retryDelayMs = 0;
  private retryAt = 0;

  constructor(
    private readonly link: FeedLink,
    private readonly origin: { source: string; epoch: string },
    private readonly maxQueuedEvents: number,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  enqueue(event: FeedEvent): void {
    if (this.queued.length >= this.maxQueuedEvents) {
      // The link is not keeping up (its node is down or cut off): drop what waits and say so.
      this.announceGap(Math.min(event.stamp, ...this.queued.map((queued) => queued.stamp)));
      this.queued = [];
      return;
    }
    this.queued.push(event);
  }

  announceGap(from: number): void {
    this.gapFrom = this.gapFrom === undefined ? from : Math.min(this.gapFrom, from);
  }

  /**
   * Sends the next batch if none is in flight: the one that failed last time,
   * unchanged, or a new one. `closed` is read after the events are taken: an
   * event not taken yet belongs to a state still in flight, so the closed
   * stamp stays below it.
   */
  pump(closed: () => number, issued: () => number): void {
    if (this.inFlight || (this.unsent !== undefined && this.now() < this.retryAt)) return;
    if (this.unsent === undefined) {
      const events = this.queued;
      this.queued = [];
      const gapFrom = this.gapFrom;
      this.gapFrom = undefined;
      this.unsent = {
        ...this.origin,
        seq: ++this.seq,
        events,
        ...(gapFrom === undefined ? {} : { gapFrom }),
        closed: closed(),
        issued: issued(),
      };
    }
    void this.send(this.unsent);
  }

  private async send(batch: FeedBatch): Promise<void> {
    this.inFlight = true;
    try {
      await this.link.send(batch, this.timeoutMs);
      this.unsent = undefined;
      this.retryDelayMs = 0;
    } catch {
      // Maybe not delivered: the same batch goes again, after a pause.
      this.retryDelayMs = Math.min(1000, Math.max(50, this.retryDelayMs * 2));
      this.retryAt = this.now() + this.retryDelayMs;
    } finally {
      this.inFlight = false;
    }
  }
}
