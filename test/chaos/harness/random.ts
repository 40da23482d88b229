import { SeededRandom } from '../../../src/replication/core/testing/seeded-random';

/**
 * The protocol simulation's seeded PRNG (mulberry32), plus what the nemesis
 * and the clients need: shuffles, weighted picks, one stream per label. A seed
 * reproduces the schedule and the clients' choices.
 */
export class Random extends SeededRandom {
  constructor(seed: number) {
    super(seed >>> 0 || 0x9e3779b9); // seed 0 would start mulberry32 from a weak state
  }

  /** Always draws, so a schedule does not shift when a probability happens to be zero. */
  override chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  /** Picks by weight: `[[item, weight], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [item, weight] of choices) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return choices[choices.length - 1]![0];
  }

  /** An independent stream derived from this seed and a label, e.g. one per client. */
  static derive(seed: number, label: string): Random {
    let hash = 2166136261 ^ seed;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 16777619);
    return new Random(hash >>> 0);
  }
}
