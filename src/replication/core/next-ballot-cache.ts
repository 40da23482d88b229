import { Ballot } from './ballot';
import { RegisterState } from './register';

/**
 * The one-round-trip path: after a round that a majority acknowledged with
 * Accept(B, state, next = B'), those acceptors have promised B' and hold
 * `state` at B. That is exactly what a granted Prepare(B') would have told
 * us, so the next change on the key can skip the prepare.
 */
export interface PreparedNext {
  readonly ballot: Ballot;
  readonly state: RegisterState;
}

/**
 * Single use: `take` removes the entry, so a ballot can never be sent with
 * two different values. Bounded: least recently stored keys are forgotten
 * first (forgetting only costs a prepare).
 */
export class NextBallotCache {
  private readonly entries = new Map<string, PreparedNext>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`bad cache capacity ${capacity}`);
  }

  take(key: string): PreparedNext | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry;
  }

  put(key: string, entry: PreparedNext): void {
    if (this.capacity === 0) return;
    this.entries.delete(key); // re-insert so Map order is recency order
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
