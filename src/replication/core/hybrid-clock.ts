/**
 * Stamps for the change feed: microseconds since the epoch, raised past every
 * stamp this node has seen and never repeated by it, so that stamps rise along
 * a key's chain of states even across nodes whose clocks disagree (the base's
 * stamp is observed before the next one is taken), while staying close to
 * wall time (so a feed can keep "the last hour" and ids read like times).
 */
export class HybridClock {
  private last = 0;

  constructor(private readonly wallMicros: () => number = () => Date.now() * 1000) {}

  /** A stamp above every stamp handed out, observed, or reported by current(). */
  next(): number {
    this.last = Math.max(this.last + 1, Math.floor(this.wallMicros()));
    return this.last;
  }

  /**
   * A value every later next() is above: the clock is raised to it, so a wall
   * clock that steps back cannot break the promise.
   */
  current(): number {
    this.last = Math.max(this.last, Math.floor(this.wallMicros()));
    return this.last;
  }

  /** Remember a stamp seen from anyone, so the next one is higher. */
  observe(stamp: number): void {
    if (stamp > this.last) this.last = stamp;
  }
}
