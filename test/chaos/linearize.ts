/**
 * The Wing & Gong linearizability search with Lowe's memoisation (the
 * algorithm behind porcupine and knossos' "linear" checker), for the
 * operations of ONE key.
 *
 * The history is a doubly linked list of call and return entries in time
 * order. Walking it from the front, at a call entry we try to linearize that
 * operation now: if the model accepts it and the pair (set of linearized
 * operations, resulting state) has not been seen before, we remove the
 * operation's call and return entries from the list ("lift" it), push it on a
 * stack and restart from the front. Reaching a return entry means an
 * operation finished without having been linearized, so this path is dead:
 * pop the last linearized operation, put its entries back and try the next
 * candidate after it. The memo is what makes this practical: two orders that
 * linearize the same set into the same state have the same future, so only
 * the first is explored.
 *
 * Indeterminate operations return "at infinity": their return entries sort
 * after everything else, so they are never forced, and the search succeeds as
 * soon as only such entries are left (the rest simply never took effect).
 */
import { INITIAL_STATE, type RegisterOp, type RegisterState, stateKey, step } from './model';

export interface SearchOp {
  readonly invokeTime: number;
  /** Infinity for an indeterminate operation. */
  readonly completeTime: number;
  readonly registerOp: RegisterOp;
}

export interface SearchLimits {
  /** Give up (verdict "unknown") after this much wall-clock time. */
  readonly deadline: number;
  readonly now?: () => number;
}

/** Where the search got furthest before every path died: the basis of the failure report. */
export interface DeepestFailure {
  /** Indexes into the ops array, in linearization order. */
  readonly prefix: readonly number[];
  readonly stateAfterPrefix: RegisterState;
  /** The operation whose completion was reached before it could be linearized. */
  readonly stuck: number;
  /** Operations invoked before that completion and not in the prefix (includes `stuck`). */
  readonly pending: readonly number[];
}

export type SearchOutcome =
  | { readonly kind: 'linearizable'; readonly order: readonly number[]; readonly statesExplored: number }
  | { readonly kind: 'not-linearizable'; readonly deepest: DeepestFailure; readonly statesExplored: number }
  | { readonly kind: 'timeout'; readonly statesExplored: number };

interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  /** For a call entry, its return entry. */
  match?: Entry;
  prev: Entry | undefined;
  next: Entry | undefined;
}

const DEADLINE_CHECK_INTERVAL = 512;

export function searchLinearization(ops: readonly SearchOp[], limits: SearchLimits): SearchOutcome {
  const now = limits.now ?? (() => performance.now());
  const head = buildEntryList(ops);
  const linearized = new Bitset(ops.length);
  const visited = new Set<string>();
  const stack: { call: Entry; stateBefore: RegisterState }[] = [];
  let state = INITIAL_STATE;
  let entry = head.next;
  let deepest: DeepestFailure | undefined;
  let deepestTime = -Infinity;
  let iterations = 0;

  for (;;) {
    if (++iterations % DEADLINE_CHECK_INTERVAL === 0 && now() > limits.deadline) {
      return { kind: 'timeout', statesExplored: visited.size };
    }
    // Only "returns at infinity" left: every definite operation is placed.
    if (entry === undefined || (!entry.isCall && entry.time === Infinity)) {
      return { kind: 'linearizable', order: stack.map((frame) => frame.call.op), statesExplored: visited.size };
    }

    if (entry.isCall) {
      const next = step(state, ops[entry.op].registerOp);
      if (next !== undefined) {
        linearized.set(entry.op);
        const memoKey = `${linearized.key()}|${stateKey(next)}`;
        if (!visited.has(memoKey)) {
          visited.add(memoKey);
          stack.push({ call: entry, stateBefore: state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }

    // A definite operation returned without being linearized: dead end.
    if (entry.time > deepestTime || (entry.time === deepestTime && stack.length > (deepest?.prefix.length ?? -1))) {
      deepestTime = entry.time;
      deepest = {
        prefix: stack.map((frame) => frame.call.op),
        stateAfterPrefix: state,
        stuck: entry.op,
        pending: pendingCallsBefore(head, entry),
      };
    }
    const frame = stack.pop();
    if (frame === undefined) {
      return { kind: 'not-linearizable', deepest: deepest as DeepestFailure, statesExplored: visited.size };
    }
    state = frame.stateBefore;
    linearized.clear(frame.call.op);
    unlift(frame.call);
    entry = frame.call.next;
  }
}

/** Call and return entries in time order, calls first on ties, behind a sentinel head. */
function buildEntryList(ops: readonly SearchOp[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, index) => {
    const call: Entry = { op: index, isCall: true, time: op.invokeTime, prev: undefined, next: undefined };
    const ret: Entry = { op: index, isCall: false, time: op.completeTime, prev: undefined, next: undefined };
    call.match = ret;
    entries.push(call, ret);
  });
  // Calls before returns at equal times makes touching intervals concurrent,
  // so a coarse clock can only make the checker more lenient, never wrong.
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);

  const head: Entry = { op: -1, isCall: false, time: -Infinity, prev: undefined, next: undefined };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

/** Unlinks a call entry and its return (the head sentinel guarantees a predecessor). */
function lift(call: Entry): void {
  unlink(call);
  unlink(call.match as Entry);
}

/** Exactly undoes `lift`, in reverse order, as in dancing links. */
function unlift(call: Entry): void {
  relink(call.match as Entry);
  relink(call);
}

function unlink(entry: Entry): void {
  (entry.prev as Entry).next = entry.next;
  if (entry.next !== undefined) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  (entry.prev as Entry).next = entry;
  if (entry.next !== undefined) entry.next.prev = entry;
}

function pendingCallsBefore(head: Entry, stop: Entry): number[] {
  const pending: number[] = [];
  for (let entry = head.next; entry !== undefined && entry !== stop; entry = entry.next) {
    if (entry.isCall) pending.push(entry.op);
  }
  if (!pending.includes(stop.op)) pending.push(stop.op);
  return pending;
}

/** A fixed-size set of operation indexes with a cheap string form for the memo. */
class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
  }

  set(index: number): void {
    this.words[index >>> 5] |= 1 << (index & 31);
  }

  clear(index: number): void {
    this.words[index >>> 5] &= ~(1 << (index & 31));
  }

  key(): string {
    let key = '';
    for (const word of this.words) key += word.toString(36) + ',';
    return key;
  }
}
