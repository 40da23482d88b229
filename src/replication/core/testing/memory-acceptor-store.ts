import { AcceptorStore, SettleRequest } from '../acceptor-store';
import { Ballot, ZERO_BALLOT, maxBallot } from '../ballot';
import { compareKeys, inRange, KeyRange } from '../key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from '../messages';
import { ABSENT, RegisterState } from '../register';

/** What an acceptor durably keeps for one key. */
export interface AcceptorSlot {
  readonly promised: Ballot;
  readonly accepted: Ballot;
  readonly state: RegisterState;
}

const EMPTY_SLOT: AcceptorSlot = Object.freeze({ promised: ZERO_BALLOT, accepted: ZERO_BALLOT, state: ABSENT });

/**
 * The acceptor rules of AcceptorStore, kept in a Map. Used by tests and
 * simulations, and the reference the SQL store must agree with: every
 * check-and-set below is what one SQL statement must do atomically.
 *
 * Each batch is applied synchronously (no await between check and write), so
 * it is atomic with respect to every other call, like one SQL statement.
 */
export class MemoryAcceptorStore extends AcceptorStore {
  private slots = new Map<string, AcceptorSlot>();
  /** Keys whose accepted state is not known to be a chosen tombstone (see AcceptorStore). */
  private unsettled = new Set<string>();

  override async prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    assertDistinctKeys(requests.map((r) => r.key));
    return requests.map(({ key, ballot }) => {
      const slot = this.slot(key);
      if (ballot > slot.promised && ballot > slot.accepted) {
        this.slots.set(key, { ...slot, promised: ballot });
        return { key, ok: true, accepted: slot.accepted, state: slot.state };
      }
      return { key, ok: false, seen: highestSeen(slot) };
    });
  }

  override async accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    assertDistinctKeys(requests.map((r) => r.key));
    return requests.map(({ key, ballot, state, next }) => {
      const slot = this.slot(key);
      // A retried or duplicated accept that already landed: acknowledge, change nothing.
      if (slot.accepted === ballot) return { key, ok: true };
      if (ballot >= slot.promised && ballot > slot.accepted) {
        // maxBallot only guards against a malformed `next` lower than the ballot;
        // a promise must never move backwards.
        const promised = maxBallot(next ?? ballot, ballot);
        this.slots.set(key, { promised, accepted: ballot, state });
        this.unsettled.add(key);
        return { key, ok: true };
      }
      return { key, ok: false, seen: highestSeen(slot) };
    });
  }

  override async peek(keys: readonly string[]): Promise<PeekReply[]> {
    assertDistinctKeys(keys);
    return keys.map((key) => this.peekOne(key));
  }

  // A sort per call: this store serves tests and simulations, where clarity beats an ordered index.
  override async list(range: KeyRange, limit: number): Promise<PeekReply[]> {
    return this.sortedKeys()
      .filter((key) => inRange(key, range) && (this.slot(key).state.present || this.unsettled.has(key)))
      .slice(0, limit)
      .map((key) => this.peekOne(key));
  }

  override async unsettledTombstones(after: string | null, limit: number): Promise<PeekReply[]> {
    return this.sortedKeys()
      .filter((key) => (after === null || compareKeys(key, after) > 0) && this.unsettled.has(key))
      .filter((key) => !this.slot(key).state.present)
      .slice(0, limit)
      .map((key) => this.peekOne(key));
  }

  override async settle(requests: readonly SettleRequest[]): Promise<void> {
    for (const { key, ballot } of requests) {
      const slot = this.slot(key);
      if (!slot.state.present && slot.accepted <= ballot) this.unsettled.delete(key);
    }
  }

  // A scan per call, like list(): the SQL store answers from an index on the expiry.
  override async expiredBy(time: number, limit: number): Promise<PeekReply[]> {
    return [...this.slots.entries()]
      .flatMap(([key, { state }]) =>
        state.present && state.expiresAt !== undefined && state.expiresAt <= time ? [{ key, at: state.expiresAt }] : [],
      )
      .sort((a, b) => a.at - b.at || compareKeys(a.key, b.key))
      .slice(0, limit)
      .map(({ key }) => this.peekOne(key));
  }

  /** Test support: whether a listing would skip this key's tombstone. */
  isSettled(key: string): boolean {
    return !this.unsettled.has(key);
  }

  /** Test support: what the acceptor holds for a key right now. */
  inspect(key: string): AcceptorSlot {
    return this.slot(key);
  }

  /** Test support: forget everything, as a node restarted on an empty disk would. */
  wipe(): void {
    this.slots = new Map();
    this.unsettled = new Set();
  }

  private peekOne(key: string): PeekReply {
    const { accepted, state } = this.slot(key);
    return { key, accepted, state };
  }

  private sortedKeys(): string[] {
    return [...this.slots.keys()].sort(compareKeys);
  }

  private slot(key: string): AcceptorSlot {
    return this.slots.get(key) ?? EMPTY_SLOT;
  }
}

function highestSeen(slot: AcceptorSlot): Ballot {
  return maxBallot(slot.promised, slot.accepted);
}

function assertDistinctKeys(keys: readonly string[]): void {
  if (new Set(keys).size !== keys.length) throw new RangeError('a batch must not name the same key twice');
}
