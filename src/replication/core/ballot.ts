import { isValidNodeId } from '../../common/node-id';

/**
 * A ballot is (counter, boot, nodeId), compared in that order.
 *
 * It is encoded as one fixed-width string so that plain string comparison in
 * TypeScript and byte-wise comparison in PostgreSQL (`COLLATE "C"`) both give
 * ballot order: counter and boot are zero-padded hex, the node id comes last.
 * The boot number is bumped durably every time a node starts, so a node whose
 * counter restarts from zero can never reuse a ballot it sent before a crash.
 */
export type Ballot = string;

/** Smaller than every real ballot: "never promised / never accepted". */
export const ZERO_BALLOT: Ballot = '';

const COUNTER_WIDTH = 14; // 56 bits of hex, more than Number.MAX_SAFE_INTEGER needs
const BOOT_WIDTH = 8;

export interface BallotParts {
  counter: number;
  boot: number;
  nodeId: string;
}

export function encodeBallot({ counter, boot, nodeId }: BallotParts): Ballot {
  if (!Number.isSafeInteger(counter) || counter < 1) throw new RangeError(`bad ballot counter ${counter}`);
  if (!Number.isSafeInteger(boot) || boot < 0 || boot >= 16 ** BOOT_WIDTH) throw new RangeError(`bad boot ${boot}`);
  if (!isValidNodeId(nodeId)) throw new RangeError(`bad node id ${JSON.stringify(nodeId)}`);
  return `${counter.toString(16).padStart(COUNTER_WIDTH, '0')}.${boot.toString(16).padStart(BOOT_WIDTH, '0')}.${nodeId}`;
}

export function decodeBallot(ballot: Ballot): BallotParts {
  const [counter, boot, nodeId] = ballot.split('.');
  if (counter === undefined || boot === undefined || nodeId === undefined) {
    throw new RangeError(`not a ballot: ${JSON.stringify(ballot)}`);
  }
  return { counter: parseInt(counter, 16), boot: parseInt(boot, 16), nodeId };
}

export function isBallot(value: unknown): value is Ballot {
  if (typeof value !== 'string') return false;
  if (value === ZERO_BALLOT) return true;
  return /^[0-9a-f]{14}\.[0-9a-f]{8}\.[A-Za-z0-9_-]{1,64}$/.test(value);
}

export function compareBallots(a: Ballot, b: Ballot): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return a >= b ? a : b;
}

/**
 * Hands out this node's ballots: each one is greater than every ballot the
 * clock has observed, and none repeats (within a boot by the counter, across
 * boots by the boot number).
 */
export class BallotClock {
  private counter = 0;

  constructor(
    readonly nodeId: string,
    readonly boot: number,
  ) {
    encodeBallot({ counter: 1, boot, nodeId }); // validates both
  }

  next(): Ballot {
    this.counter += 1;
    return encodeBallot({ counter: this.counter, boot: this.boot, nodeId: this.nodeId });
  }

  /** Remember a ballot seen from anyone, so the next one we make is higher. */
  observe(ballot: Ballot): void {
    if (ballot === ZERO_BALLOT) return;
    const { counter } = decodeBallot(ballot);
    if (counter > this.counter) this.counter = counter;
  }
}
