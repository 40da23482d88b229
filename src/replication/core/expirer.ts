import { AcceptorStore } from './acceptor-store';
import { ChangeFn } from './change';

/**
 * The change that expires a key: a tombstone (a new version, like a delete),
 * written only if the state the round finds is present, still carries the
 * expiry this node saw (`expiresAt`), and that time has come by this node's
 * clock. Otherwise it writes back what it found. The condition is checked on
 * the state the round builds on, so a renewal that was chosen first makes the
 * expiry a no-op, and a renewal that comes after it finds the key deleted:
 * either way one of them wins cleanly, in the order the quorum chose.
 */
export function expireIfDue(expiresAt: number, now: () => number = Date.now): ChangeFn<boolean> {
  return (current) => {
    if (!current.present || current.expiresAt !== expiresAt || expiresAt > now()) {
      return { state: current, result: false };
    }
    return { state: { present: false, value: null, version: current.version + 1 }, result: true };
  };
}

export interface ExpirerOptions {
  /** This node's own acceptor: where it looks for keys whose time has come. */
  readonly store: AcceptorStore;
  /** Runs expireIfDue(expiresAt) on the key as a full quorum change; true when it wrote the tombstone. */
  readonly expire: (key: string, expiresAt: number, deadlineMs: number) => Promise<boolean>;
  /** Whether this node is the key's preferred proposer, which expires it first. */
  readonly prefers: (key: string) => boolean;
  readonly now?: () => number;
  /** Keys examined per pass. */
  readonly batchSize?: number;
  /** How long past its expiry a key is left to its preferred node before any node expires it. */
  readonly overdueAfterMs?: number;
  /** The longest pause between two passes, so a key written meanwhile by another node is not missed for long. */
  readonly maxPauseMs?: number;
}

export interface ExpiryPass {
  /** Keys found due (or about to be) in this node's store. */
  readonly examined: number;
  /** Tombstones written. */
  readonly expired: number;
  /** How long to wait before the next pass. */
  readonly nextPassInMs: number;
}

/**
 * Expires keys whose time has come: asks this node's acceptor for present
 * registers with an expiry at or before now (an index lookup, never a table
 * scan), and expires each one its node prefers. A key whose preferred node has
 * not expired it `overdueAfterMs` after its time (that node is down, or cut
 * off) is expired by any node that holds it; two nodes expiring one key at
 * once is harmless, since the change is conditional and the quorum orders them.
 *
 * A pass also looks `maxPauseMs` ahead, so the next pass can start when the
 * next key is due rather than on a fixed tick.
 */
export class Expirer {
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly overdueAfterMs: number;
  private readonly maxPauseMs: number;

  constructor(private readonly options: ExpirerOptions) {
    this.now = options.now ?? Date.now;
    this.batchSize = options.batchSize ?? 500;
    this.overdueAfterMs = options.overdueAfterMs ?? 500;
    this.maxPauseMs = options.maxPauseMs ?? 250;
  }

  async expireDue(deadlineMs: number): Promise<ExpiryPass> {
    const now = this.now();
    const rows = await this.options.store.expiredBy(now + this.maxPauseMs, this.batchSize);
    let nextPassAt = now + this.maxPauseMs;
    const due: Array<{ key: string; expiresAt: number }> = [];
    for (const row of rows) {
      const expiresAt = row.state.expiresAt!;
      // When this node should act on the key: at its expiry when preferred, once overdue otherwise.
      const actAt = this.options.prefers(row.key) ? expiresAt : expiresAt + this.overdueAfterMs;
      if (actAt <= now) due.push({ key: row.key, expiresAt });
      else nextPassAt = Math.min(nextPassAt, actAt);
    }
    // Started together, so the proposer carries them in shared batches. A failure (no quorum, a
    // renewal that won) leaves the key for a later pass: expiry is maintenance, nobody's answer.
    const outcomes = await Promise.allSettled(
      due.map(({ key, expiresAt }) => this.options.expire(key, expiresAt, deadlineMs)),
    );
    const expired = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value).length;
    // A full batch that was all due may hide more due keys behind it: go on at once.
    const more = rows.length === this.batchSize && due.length === rows.length && expired > 0;
    return {
      examined: rows.length,
      expired,
      nextPassInMs: more ? 0 : Math.max(0, Math.min(this.maxPauseMs, nextPassAt - this.now())),
    };
  }
}
