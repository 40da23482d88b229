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
  /** When a batch of it last arrived, directly or relayed. */
  heardAt: number;
  silent: boolean;
  /** Its latest batches, for peers that cannot hear it (relay), oldest first. */
  recent: FeedBatch[];
  recentEvents: number;
}

/**
 * Stamps where events may be missing: a gap is stored at every advance that
 * passes any of them, so a watcher is told before it passes (and before it
 * can take its position to another node).
 */
interface Uncertain {
  readonly from: number;
  readonly to: number;
}

/**
 * A node's side of the change feed (docs/protocol.md, "Watching"): takes
 * every proposer's batches (directly, or relayed by a peer that hears a
 * proposer this node cannot), keeps the frontier (the lowest closed stamp of
 * the sources it still waits for), turns every way it may miss an event into
 * a range of uncertain stamps, stores a gap at every advance that passes one,
 * and stores events, gaps and its bound before watchers may see them.
 * advance() is called on a timer; one runs at a time.
 */
export class FeedLearner {
  private readonly sources = new Map<string, SourceState>();
  /** Events above the frontier, by position, until the frontier passes them. */
  private readonly pending = new Map<string, FeedEvent>();
  /** Events that arrived at or below the frontier: stored (with a gap) unless the feed has them. */
  private late = new Map<string, FeedEvent>();
  private uncertain: Uncertain[] = [];
  /** The next advance stores a gap whatever it passes (this node just started; a late event). */
  private gapNext = false;
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
   * the first advance stores a gap.
   */
  async start(): Promise<void> {
    const stored = await this.options.store.loadBound();
    this.frontier = this.served = this.bound = stored ?? 0;
    this.gapNext = true;
    const startedAt = this.now();
    for (const source of this.options.sources)
      this.sources.set(source, { seq: 0, issued: 0, heardAt: startedAt, silent: false, recent: [], recentEvents: 0 });
    this.started = true;
  }

  /** The frontier watchers may read up to now: everything at or below it is stored and was announced. */
  get current(): number {
    return this.served;
  }

  /** Every node whose stream this learner takes, its own included. */
  get sourceIds(): readonly string[] {
    return this.options.sources;
  }

  /** Calls `listener` after every flush; returns the way to stop. */
  onAdvance(listener: (advance: FeedAdvance) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where this node is in a source's stream (for asking a peer to relay what follows), and how long ago it last heard it. */
  streamOf(sourceId: string): { epoch?: string; seq: number; quietMs: number } {
    const source = this.sourceState(sourceId);
    return {
      ...(source.epoch === undefined ? {} : { epoch: source.epoch }),
      seq: source.seq,
      quietMs: this.now() - source.heardAt,
    };
  }

  /**
   * The batches of a source's stream this node kept, after `afterSeq` in
   * `epoch` (all it kept when the epoch is another), for a peer that cannot
   * hear the source itself. A peer that gets fewer than it missed sees the
   * sequence skip, which is a gap like any other.
   */
  batchesAfter(sourceId: string, epoch: string | undefined, afterSeq: number): FeedBatch[] {
    const source = this.sourceState(sourceId);
    if (source.epoch === undefined) return [];
    if (source.epoch !== epoch) return [...source.recent];
    return source.recent.filter((batch) => batch.seq > afterSeq);
  }

  /** One batch from a source's stream, directly or relayed. Repeats are dropped. */
  receive(batch: FeedBatch): void {
    if (!this.started) throw new Error('the feed learner has not started');
    const source = this.sourceState(batch.source);
    if (source.epoch === batch.epoch) {
      if (batch.seq <= source.seq) return;
      // Rule 1: batches were lost. What they held was sent after the last closed stamp heard (so
      // the frontier has not passed it) and issued before this batch.
      if (batch.seq > source.seq + 1) this.uncertain.push({ from: source.closed ?? 0, to: batch.issued });
    } else {
      // Rule 1: the source restarted, or this is the first this node hears of it since it started itself:
      // what the source chose before and never sent here was issued before this batch.
      this.uncertain.push({ from: source.closed ?? 0, to: batch.issued });
      source.closed = undefined;
      source.recent = [];
      source.recentEvents = 0;
    }
    source.epoch = batch.epoch;
    source.seq = batch.seq;
    source.heardAt = this.now();
    source.issued = Math.max(source.issued, batch.issued);
    source.silent = false;
    this.keep(source, batch);
    for (const event of batch.events) {
      const id = positionId(event);
      if (event.stamp <= this.frontier) this.late.set(id, event);
      else this.pending.set(id, event);
    }
    // Rule 5: a state its proposer gave up on, or events it dropped, all issued before this batch.
    if (batch.gapFrom !== undefined) this.uncertain.push({ from: batch.gapFrom, to: batch.issued });
    source.closed = Math.max(source.closed ?? -Infinity, batch.closed);
  }

  /**
   * Rule 2: watchers may have passed a late event's position. Always true; a
   * test overrides it to show what goes wrong without the gap.
   */
  protected lateNeedsGap(): boolean {
    return true;
  }

  /**
   * Moves the frontier to the lowest closed stamp of the sources it waits
   * for, stores what that releases (with a gap if it passes uncertain
   * stamps), and tells the listeners. Nothing is stored while the frontier
   * stands still: a gap must be stored past every position a watcher holds.
   */
  async advance(): Promise<void> {
    const now = this.now();
    let lowest = Infinity;
    for (const source of this.sources.values()) {
      if (!source.silent && now - source.heardAt > this.silenceMs) {
        // Rule 4: nobody this node hears has heard it either (a peer would have relayed it), so it
        // cannot have had a state chosen since. What it had in flight was stamped by its clock
        // before it went quiet: up to its last word, with room to spare.
        source.silent = true;
        this.uncertain.push({ from: source.closed ?? 0, to: source.issued + this.silenceMs * 1000 });
      }
      if (source.silent) continue;
      lowest = Math.min(lowest, source.closed ?? -Infinity);
    }
    if (!Number.isFinite(lowest) || lowest <= this.frontier) return;

    const frontier = lowest;
    const previous = this.frontier;
    const released: FeedEvent[] = [];
    for (const [id, event] of this.pending) {
      if (event.stamp > frontier) continue;
      released.push(event);
      this.pending.delete(id);
    }
    const late = [...this.late.values()];
    this.late = new Map();
    const uncertainBefore = this.uncertain;
    const gapNextBefore = this.gapNext;
    const passed = this.uncertain.filter((range) => range.from < frontier && range.to > previous);
    this.uncertain = this.uncertain.filter((range) => range.to > frontier);
    this.gapNext = false;
    // From here on, what arrives at or below the new frontier is late.
    this.frontier = frontier;

    const held = late.length === 0 ? [] : await this.options.store.holds(late);
    const missing = late.filter((_, i) => !held[i]);
    let gapFrom = Math.min(...passed.map((range) => range.from), gapNextBefore ? 0 : Infinity);
    // Rule 2: a late event nobody announced (a safety net: the rules above cover every late event
    // the argument knows of). Watchers here are told; one that already took its position elsewhere is not.
    for (const event of missing) if (this.lateNeedsGap()) gapFrom = Math.min(gapFrom, event.stamp);
    const events = [...released, ...missing].sort(compareFeedPositions);
    const gaps: FeedGap[] = Number.isFinite(gapFrom) ? [{ at: frontier, from: gapFrom }] : [];
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
        this.uncertain = [...uncertainBefore, ...this.uncertain.filter((range) => !uncertainBefore.includes(range))];
        this.gapNext = gapNextBefore || missing.length > 0;
        throw error;
      }
      if (raiseBound) this.bound = flush.bound!;
    }
    this.served = frontier;
    for (const listener of this.listeners) listener({ events, gaps, frontier });
  }

  private sourceState(sourceId: string): SourceState {
    const source = this.sources.get(sourceId);
    if (source === undefined) throw new RangeError(`unknown feed source ${JSON.stringify(sourceId)}`);
    return source;
  }

  /** Keeps the source's latest batches for relaying: the last few seconds' worth, bounded by events. */
  private keep(source: SourceState, batch: FeedBatch): void {
    source.recent.push(batch);
    source.recentEvents += batch.events.length;
    while (
      source.recent.length > RELAY_KEEP_BATCHES ||
      (source.recentEvents > RELAY_KEEP_EVENTS && source.recent.length > 1)
    ) {
      source.recentEvents -= source.recent.shift()!.events.length;
    }
  }
}

/** Batches kept per source for relaying: at one every 50 ms, ten seconds of them. */
const RELAY_KEEP_BATCHES = 200;
const RELAY_KEEP_EVENTS = 20_000;

function positionId(event: FeedEvent): string {
  return `${event.stamp}\u0000${event.key}`;
}
