import { FeedBatch } from './feed-batch';
import { FeedEvent, compareFeedPositions } from './feed-position';
import { FeedFlush, FeedGap, FeedStore } from './feed-store';

export interface FeedLearnerOptions {
  /** Every node that publishes, this node included. */
  readonly sources: readonly string[];
  readonly store: FeedStore;
  /** A source heard from less recently than this is not waited for (rule 4). Default 2000. */
  readonly silenceMs?: number;
  /**
   * How far past the frontier a stored bound reaches, in stamp units (µs), so
   * that a quiet feed writes its bound once per lease, not per flush. Default 1 s.
   */
  readonly boundLeaseMicros?: number;
  /** Default Date.now. */
  readonly now?: () => number;
}

/** What watchers learn from a flush: the events and gaps now stored, and the frontier they may read up to. */
export interface FeedAdvance {
  readonly events: readonly FeedEvent[];
  readonly gaps: readonly FeedGap[];
  readonly frontier: number;
}

interface SourceState {
  epoch?: string;
  seq: number;
  /** The last closed stamp received; undefined until the first batch of this process's life. */
  closed?: number;
  /** The last `issued` received. */
  issued: number;
  heardAt: number;
  silent: boolean;
}

/**
 * A node's side of the change feed (docs/protocol.md, "Watching"): takes
 * every proposer's batches, keeps the frontier (the lowest closed stamp of
 * the sources it still waits for), records every way it may have missed an
 * event as a gap, and stores events, gaps and its bound before watchers may
 * see them. advance() is called on a timer; one runs at a time.
 */
export class FeedLearner {
  private readonly sources = new Map<string, SourceState>();
  /** Events above the frontier, by position, until the frontier passes them. */
  private readonly pending = new Map<string, FeedEvent>();
  /** Events that arrived at or below the frontier: stored (with a gap) unless the feed has them. */
  private late = new Map<string, FeedEvent>();
  /** Gaps found and not stored yet: each waits for a frontier at or above `notBefore`. */
  private gaps: PendingGap[] = [];
  /** Where the last advance moved to; what arrives at or below it is late. */
  private frontier = 0;
  /** Watchers may read up to here: stored and announced. Never goes down. */
  private served = 0;
  /** The stored promise: the frontier does not pass it before a flush raises it. */
  private bound = 0;
  private readonly listeners = new Set<(advance: FeedAdvance) => void>();
  private readonly silenceMs: number;
  private readonly leaseMicros: number;
  private readonly now: () => number;
  private started = false;

  constructor(private readonly options: FeedLearnerOptions) {
    this.silenceMs = options.silenceMs ?? 2000;
    this.leaseMicros = options.boundLeaseMicros ?? 1_000_000;
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Starts from the stored bound: this node may have missed anything while it
   * was down (rule 3), and watchers were served up to the bound at most, so
   * the first gap is stored past it.
   */
  async start(): Promise<void> {
    const stored = await this.options.store.loadBound();
    this.frontier = this.served = this.bound = stored ?? 0;
    this.gaps.push({ from: 0, notBefore: 0 });
    const startedAt = this.now();
    for (const source of this.options.sources)
      this.sources.set(source, { seq: 0, issued: 0, heardAt: startedAt, silent: false });
    this.started = true;
  }

  /** The frontier watchers may read up to now: everything at or below it is stored and was announced. */
  get current(): number {
    return this.served;
  }

  /** Calls `listener` after every flush; returns the way to stop. */
  onAdvance(listener: (advance: FeedAdvance) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One batch from a source's stream. Repeats (a batch sent again after a lost answer) are dropped. */
  receive(batch: FeedBatch): void {
    if (!this.started) throw new Error('the feed learner has not started');
    const source = this.sources.get(batch.source);
    if (source === undefined) throw new RangeError(`unknown feed source ${JSON.stringify(batch.source)}`);
    if (source.epoch === batch.epoch) {
      if (batch.seq <= source.seq) return;
      // Rule 1: batches were lost; what they held was issued before this one.
      if (batch.seq > source.seq + 1) this.gaps.push({ from: source.closed ?? 0, notBefore: batch.issued });
    } else {
      // Rule 1: the source restarted, or this is the first this node hears of it since it started itself:
      // what the source chose before and never sent here was issued before this batch.
      this.gaps.push({ from: source.closed ?? 0, notBefore: batch.issued });
      source.closed = undefined;
    }
    source.epoch = batch.epoch;
    source.seq = batch.seq;
    source.heardAt = this.now();
    source.issued = Math.max(source.issued, batch.issued);
    source.silent = false;
    for (const event of batch.events) {
      const id = positionId(event);
      if (event.stamp <= this.frontier) this.late.set(id, event);
      else this.pending.set(id, event);
    }
    if (batch.gapFrom !== undefined) this.gaps.push({ from: batch.gapFrom, notBefore: batch.issued }); // rule 5
    source.closed = Math.max(source.closed ?? -Infinity, batch.closed);
  }

  /**
   * Moves the frontier to the lowest closed stamp of the sources it waits
   * for, stores what that releases, and tells the listeners. Nothing is
   * stored while the frontier stands still: a gap must be stored past every
   * position a watcher may hold.
   */
  async advance(): Promise<void> {
    const now = this.now();
    let lowest = Infinity;
    for (const source of this.sources.values()) {
      if (!source.silent && now - source.heardAt > this.silenceMs) {
        // Rule 4: stop waiting for it. If it never speaks again, what it chose before it died was issued
        // by its clock soon after its last word: the gap is stored past that, with room to spare.
        source.silent = true;
        this.gaps.push({ from: source.closed ?? 0, notBefore: source.issued + this.silenceMs * 1000 });
      }
      if (source.silent) continue;
      lowest = Math.min(lowest, source.closed ?? -Infinity);
    }
    if (!Number.isFinite(lowest) || lowest <= this.frontier) return;

    const frontier = lowest;
    const released: FeedEvent[] = [];
    for (const [id, event] of this.pending) {
      if (event.stamp > frontier) continue;
      released.push(event);
      this.pending.delete(id);
    }
    const late = [...this.late.values()];
    this.late = new Map();
    const due = this.gaps.filter((gap) => gap.notBefore <= frontier);
    this.gaps = this.gaps.filter((gap) => gap.notBefore > frontier);
    // From here on, what arrives at or below the new frontier is late.
    const previous = this.frontier;
    this.frontier = frontier;

    const held = late.length === 0 ? [] : await this.options.store.holds(late);
    const missing = late.filter((_, i) => !held[i]);
    for (const event of missing) due.push({ from: event.stamp, notBefore: event.stamp }); // rule 2
    const events = [...released, ...missing].sort(compareFeedPositions);
    const gaps: FeedGap[] = due.length === 0 ? [] : [{ at: frontier, from: Math.min(...due.map((gap) => gap.from)) }];
    const raiseBound = frontier > this.bound;
    const flush: FeedFlush = {
      events,
      gaps,
      ...(raiseBound ? { bound: frontier + this.leaseMicros } : {}),
    };
    if (events.length > 0 || gaps.length > 0 || raiseBound) {
      try {
        await this.options.store.append(flush);
      } catch (error) {
        // Nothing stored: the next advance tries again from the old frontier, with everything this held.
        this.frontier = previous;
        for (const event of events) this.pending.set(positionId(event), event);
        this.gaps.push(...due);
        throw error;
      }
      if (raiseBound) this.bound = flush.bound!;
    }
    this.served = frontier;
    for (const listener of this.listeners) listener({ events, gaps, frontier });
  }
}

interface PendingGap {
  /** Events from this stamp on may be missing (0: anything). */
  readonly from: number;
  /** The highest stamp a missing event may have: the gap is stored at a frontier at least this high. */
  readonly notBefore: number;
}

function positionId(event: FeedEvent): string {
  return `${event.stamp}\u0000${event.key}`;
}
