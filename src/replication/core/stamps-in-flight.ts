/**
 * The stamps of states a proposer has built and not yet finished with, so
 * that its closed stamp stays below every one of them (rule C in
 * docs/protocol.md, "Watching"). A handful at a time (one per key in a
 * round), so a scan for the lowest is cheaper than keeping them sorted.
 */
export class StampsInFlight {
  private readonly counts = new Map<number, number>();

  add(stamp: number): void {
    this.counts.set(stamp, (this.counts.get(stamp) ?? 0) + 1);
  }

  remove(stamp: number): void {
    const count = this.counts.get(stamp);
    if (count === undefined) throw new RangeError(`stamp ${stamp} is not in flight`);
    if (count === 1) this.counts.delete(stamp);
    else this.counts.set(stamp, count - 1);
  }

  /** The lowest stamp in flight, or undefined when there is none. */
  lowest(): number | undefined {
    let lowest: number | undefined;
    for (const stamp of this.counts.keys()) if (lowest === undefined || stamp < lowest) lowest = stamp;
    return lowest;
  }

  get size(): number {
    return this.counts.size;
  }
}
