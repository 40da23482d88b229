/**
 * The Wing & Gong linearizability search with Lowe's memoisation (the
 * algorithm behind porcupine and knossos' "linear" checker), for the
 * operations of ONE key.
 *
 * The history is a doubly linked list of call and return entries in time
 * order. The operations that may be linearized next are those whose call
 * entry precedes the first remaining return entry. We try one: if the model
 * accepts it and the resulting configuration has not been seen before, we
 * remove its call and return entries from the list ("lift" it), push it on a
 * stack and start over from the front. When no candidate works, the operation
 * owning that first return entry finished without any way to be linearized:
 * pop the last linearized operation, put its entries back and try the next
 * candidate after it. The memo is what makes this practical: two orders that
 * reach the same configuration have the same future, so only the first is
 * explored (every configuration seen before either is an ancestor, which is
 * impossible here since versions only grow, or has been refuted).
 *
 * Indeterminate operations return "at infinity": their return entries sort
 * after everything else, so they are never forced, and the search succeeds as
 * soon as every definite operation is linearized (the indeterminate ones left
 * over never took effect). Two refinements keep them affordable:
 *  - They are tried only after every definite candidate, since most of them
 *    either never took effect or took effect late.
 *  - The memo records how many indeterminate operations of each effect
 *    signature are linearized, not which ones: interchangeable operations
 *    that are all available would otherwise multiply the configurations by
 *    2^(number of timeouts so far), as timeouts stay pending forever.
 *
 * The store's expiry of a value written with a TTL (model.ts) is a move of
 * its own, not an operation: after the definite candidates, before the
 * indeterminate ones, the search may expire the current value, if that value
 * may expire by the first remaining return entry (the latest moment the next
 * step can happen at), and start over. It
 * is an operation invoked at the value's `expiresFrom` that returns at
 * infinity, but one that belongs to the state: it needs no place in the memo,
 * and a value that was overwritten takes its expiry with it.
 */
import { fmix32 } from '../../src/common/mix32';
import { INITIAL_STATE, type RegisterOp, type RegisterState, effectSignature, expire, mayExpire, step } from './model';

/** In a witness order or a failure's prefix: the store expired the value there. */
export const EXPIRY = -1;

export interface SearchOp {
  readonly invokeTime: number;
  /** Infinity for an indeterminate operation. */
  readonly completeTime: number;
  readonly registerOp: RegisterOp;
}

export interface SearchLimits {
  /** Give up (outcome "timeout") once `now()` passes this. */
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
  /** Set on call entries of definite operations: its index among them, which identifies it in the memo. */
  readonly definiteIndex?: number;
  /** Set on call entries of indeterminate operations: its effect signature class. */
  readonly effectClass?: number;
  /** For a call entry, its return entry. */
  match?: Entry;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** Definite candidates are all tried before any indeterminate one. */
type Phase = 'definite' | 'indeterminate';

interface Frame {
  /** Undefined for an expiry, which is tried last at its node. */
  readonly call: Entry | undefined;
  readonly phase: Phase;
  readonly stateBefore: RegisterState;
}

const DEADLINE_CHECK_INTERVAL = 512;

export function searchLinearization(ops: readonly SearchOp[], limits: SearchLimits): SearchOutcome {
  const now = limits.now ?? (() => performance.now());
  const { head, definiteCount, effectClassCount } = buildEntryList(ops);
  const configuration = new Configuration(effectClassCount);
  const visited = new Set<string>();
  const stack: Frame[] = [];
  let definiteLinearized = 0;
  let state = INITIAL_STATE;
  let entry = head.next;
  let phase: Phase = 'definite';
  /** Whether the node being explored has tried its expiry move (the last of its options). */
  let expiryTried = false;
  let deepest: DeepestFailure | undefined;
  let deepestTime = -Infinity;
  let deepestDefinite = -1;
  let iterations = 0;

  for (;;) {
    if (++iterations % DEADLINE_CHECK_INTERVAL === 0 && now() > limits.deadline) {
      return { kind: 'timeout', statesExplored: visited.size };
    }
    if (definiteLinearized === definiteCount) {
      return { kind: 'linearizable', order: stack.map(opOf), statesExplored: visited.size };
    }

    // Still among the candidates (calls before the first return entry).
    if (entry !== undefined && entry.isCall) {
      const call = entry;
      entry = entry.next;
      const isDefinite = call.definiteIndex !== undefined;
      if (isDefinite !== (phase === 'definite')) continue;
      const next = step(state, ops[call.op]!.registerOp); // entries index ops (buildEntryList)
      if (next === undefined) continue;
      configuration.add(call);
      const memoKey = configuration.key(next);
      if (visited.has(memoKey)) {
        configuration.remove(call);
        continue;
      }
      visited.add(memoKey);
      stack.push({ call, phase, stateBefore: state });
      if (isDefinite) definiteLinearized++;
      state = next;
      lift(call);
      entry = head.next;
      phase = 'definite';
      expiryTried = false;
      continue;
    }

    if (phase === 'definite') {
      // `entry` is the first return entry (or none). Before any indeterminate
      // operation, try the store's expiry: it uses up nothing, and where a read
      // saw a key with a TTL gone, it is the likely explanation.
      if (!expiryTried && entry !== undefined && mayExpire(state, entry.time)) {
        expiryTried = true;
        const next = expire(state);
        const memoKey = configuration.key(next);
        if (!visited.has(memoKey)) {
          visited.add(memoKey);
          stack.push({ call: undefined, phase: 'indeterminate', stateBefore: state });
          state = next;
          entry = head.next;
          expiryTried = false;
          continue;
        }
      }
      phase = 'indeterminate';
      entry = head.next;
      continue;
    }

    // No candidate works. `entry` is the first return entry, and it is a
    // definite operation's since indeterminate ones return at infinity and
    // some definite operation is still unlinearized.
    //
    // For the report, keep the path that got furthest in time, then placed the most definite
    // operations, then needed the fewest indeterminate ones (nodes are
    // refuted children first, so a path with needless trailing timeouts
    // tends to be seen before its shorter parent).
    const stuck = entry as Entry;
    if (
      isDeeper(stuck.time, definiteLinearized, stack.length, deepestTime, deepestDefinite, deepest?.prefix.length ?? 0)
    ) {
      deepestTime = stuck.time;
      deepestDefinite = definiteLinearized;
      deepest = {
        prefix: stack.map(opOf),
        stateAfterPrefix: state,
        stuck: stuck.op,
        pending: pendingCallsBefore(head, stuck),
      };
    }
    const frame = stack.pop();
    if (frame === undefined) {
      return { kind: 'not-linearizable', deepest: deepest as DeepestFailure, statesExplored: visited.size };
    }
    state = frame.stateBefore;
    if (frame.call === undefined) {
      // Its node goes on with its indeterminate candidates; the list is as it
      // was then (the expiry lifted nothing).
      expiryTried = true;
      entry = head.next;
      phase = 'indeterminate';
      continue;
    }
    configuration.remove(frame.call);
    if (frame.call.definiteIndex !== undefined) definiteLinearized--;
    unlift(frame.call);
    entry = frame.call.next;
    phase = frame.phase;
    expiryTried = false;
  }
}

function opOf(frame: Frame): number {
  return frame.call?.op ?? EXPIRY;
}

function isDeeper(
  time: number,
  definite: number,
  length: number,
  bestTime: number,
  bestDefinite: number,
  bestLength: number,
): boolean {
  if (time !== bestTime) return time > bestTime;
  if (definite !== bestDefinite) return definite > bestDefinite;
  return length < bestLength;
}

/**
 * What the memo remembers of a search node: the register state, the set of
 * definite operations linearized, and per effect class the number of
 * indeterminate operations linearized.
 *
 * The set and the counts are folded into a 96-bit Zobrist hash, updated by
 * XOR-ing one pseudo-random value in or out per change, so a memo key costs
 * O(1) instead of O(operations). Two different configurations share a hash
 * with probability about states^2 / 2^97: below 1e-15 for ten million states.
 */
class Configuration {
  private readonly effectCounts: Uint32Array;
  private readonly hash = new Uint32Array(3);
  /** Small ids for value keys, which can be long JSON. */
  private readonly valueIds = new Map<string, number>();

  constructor(effectClassCount: number) {
    this.effectCounts = new Uint32Array(effectClassCount);
  }

  add(call: Entry): void {
    if (call.definiteIndex !== undefined) {
      this.toggle(DEFINITE_ELEMENT, call.definiteIndex, 0);
      return;
    }
    const effectClass = call.effectClass as number;
    const count = this.effectCounts[effectClass]!++; // effectClass < effectClassCount, the array's length
    if (count > 0) this.toggle(COUNT_ELEMENT, effectClass, count);
    this.toggle(COUNT_ELEMENT, effectClass, count + 1);
  }

  remove(call: Entry): void {
    if (call.definiteIndex !== undefined) {
      this.toggle(DEFINITE_ELEMENT, call.definiteIndex, 0);
      return;
    }
    const effectClass = call.effectClass as number;
    const count = this.effectCounts[effectClass]!--;
    this.toggle(COUNT_ELEMENT, effectClass, count);
    if (count > 1) this.toggle(COUNT_ELEMENT, effectClass, count - 1);
  }

  key(state: RegisterState): string {
    const [a, b, c] = this.hash;
    if (!state.present) return `${a},${b},${c}|${state.version}-`;
    let valueId = this.valueIds.get(state.valueKey);
    if (valueId === undefined) this.valueIds.set(state.valueKey, (valueId = this.valueIds.size));
    // Values merged as UNREAD may still differ in when they may expire.
    const expiry = state.expiresFrom === Infinity ? '' : `@${state.expiresFrom}`;
    return `${a},${b},${c}|${state.version}=${valueId}${expiry}`;
  }

  /** XOR is its own inverse, so the same call adds and removes an element. */
  private toggle(kind: number, a: number, b: number): void {
    for (let lane = 0; lane < 3; lane++) this.hash[lane]! ^= elementHash(kind, a, b, lane); // hash has 3 lanes
  }
}

const DEFINITE_ELEMENT = 0;
const COUNT_ELEMENT = 1;

/** A pseudo-random 32-bit value per (kind, a, b, lane), from MurmurHash3's finalizer. */
function elementHash(kind: number, a: number, b: number, lane: number): number {
  let h = Math.imul(kind + 1, 0x9e3779b1) ^ Math.imul(lane + 1, 0x85ebca6b);
  h = fmix32(h ^ a);
  h = fmix32(h ^ Math.imul(b + 1, 0xc2b2ae35));
  return h;
}

/** Call and return entries in time order, calls first on ties, behind a sentinel head. */
function buildEntryList(ops: readonly SearchOp[]): { head: Entry; definiteCount: number; effectClassCount: number } {
  const effectClasses = new Map<string, number>();
  let definiteCount = 0;
  const entries: Entry[] = [];
  ops.forEach((op, index) => {
    const identity =
      op.completeTime === Infinity
        ? { effectClass: classOf(effectClasses, effectSignature(op.registerOp)) }
        : { definiteIndex: definiteCount++ };
    const ret: Entry = { op: index, isCall: false, time: op.completeTime, prev: undefined, next: undefined };
    const call: Entry = {
      op: index,
      isCall: true,
      time: op.invokeTime,
      ...identity,
      match: ret,
      prev: undefined,
      next: undefined,
    };
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
  return { head, definiteCount, effectClassCount: effectClasses.size };
}

function classOf(classes: Map<string, number>, signature: string): number {
  let index = classes.get(signature);
  if (index === undefined) classes.set(signature, (index = classes.size));
  return index;
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
