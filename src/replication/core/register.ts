import { Ballot, ZERO_BALLOT } from './ballot';

/**
 * The value of one key's register as clients see it and change functions
 * compute it. `present: false` is a key that was never written or was deleted
 * (a tombstone); the version keeps counting across deletes so that an ETag
 * never comes back to mean a different value.
 */
export interface RegisterContent {
  readonly present: boolean;
  /** Any JSON value; meaningless when `present` is false. */
  readonly value: unknown;
  /**
   * 0 for a key never written; +1 for every write or delete. A change that
   * leaves the state as it was keeps the version; any other change must raise
   * it (enforced by the proposer, see followsVersionRule).
   */
  readonly version: number;
  /**
   * When a present key expires, in ms since the epoch (absent: never). The
   * expirer deletes the key with an ordinary quorum write once this time has
   * passed (see expireIfDue); until then reads return it, so a read never
   * contradicts the delete that follows. Tombstones never carry one.
   */
  readonly expiresAt?: number;
}

/**
 * The change id of a state: the ballot at which a state with a new version
 * was first proposed. A ballot carries one value, so the id names exactly one
 * change. ZERO_BALLOT is the id of the key's origin, the state before its
 * first write.
 */
export type ChangeId = Ballot;

/**
 * Most change ids a state's lineage keeps. Any K >= 1 is safe (outcome
 * resolution only ever reads a prefix of the true ancestry); a larger K
 * settles more ambiguous accepts, at ~30 bytes per id in every row, accept
 * and prepare reply. Why 6: see docs/protocol.md, "Outcome resolution".
 */
export const LINEAGE_LIMIT = 6;

/** The register state acceptors store and peers exchange: the content, and where it came from. */
export interface RegisterState extends RegisterContent {
  /**
   * The id of the change that produced this content, then its ancestors'
   * ids, newest first (so strictly decreasing), at most LINEAGE_LIMIT of
   * them. A change that keeps the content keeps the lineage; one that raises
   * the version prepends its own id. Empty means "not known": a row written
   * before lineages were stored.
   */
  readonly lineage: readonly ChangeId[];
  /**
   * The change feed's stamp (docs/protocol.md, "Watching"), taken by the
   * proposer that raised the version; kept by changes that keep the content.
   * Undefined: a state from before stamps, or from a proposer without a feed.
   */
  readonly stamp?: number;
}

/** A key never written: the origin of every chain of states, whose change id is ZERO_BALLOT. */
export const ABSENT: RegisterState = Object.freeze({
  present: false,
  value: null,
  version: 0,
  lineage: Object.freeze([ZERO_BALLOT]),
});

/**
 * The state a round proposes at `changeId` (its ballot) after applying its
 * changes to `found` and getting `content`: `found` itself when the content
 * was left as it was (a read, failed preconditions), otherwise the new
 * content with `changeId` prepended to the lineage, cut to `limit` ids.
 * Builds a fresh object, so nothing a change function added travels along.
 */
export function proposedState(
  found: RegisterState,
  content: RegisterContent,
  changeId: ChangeId,
  limit = LINEAGE_LIMIT,
  stamp?: number,
): RegisterState {
  if (content.version === found.version) return found; // the version rule: same version, same content
  return {
    present: content.present,
    value: content.value,
    version: content.version,
    // Only a present key can expire; a key without an expiry has no such field at all.
    ...(content.present && content.expiresAt !== undefined && { expiresAt: content.expiresAt }),
    lineage: [changeId, ...found.lineage].slice(0, limit),
    ...(stamp === undefined ? {} : { stamp }),
  };
}

/**
 * Whether two states are the same register content as clients would see it
 * (the lineage is not compared): same presence and version, and (when present) values
 * equal as JSON, key order ignored, and the same expiry. A tombstone's value is meaningless, so it
 * is not compared. `undefined` when a value cannot be serialised as JSON, in
 * which case the answer is unknown and callers must assume the worst.
 */
export function sameState(a: RegisterContent, b: RegisterContent): boolean | undefined {
  if (a.present !== b.present || a.version !== b.version) return false;
  if (!a.present) return true;
  if (a.expiresAt !== b.expiresAt) return false;
  const left = canonicalJson(a.value);
  const right = canonicalJson(b.value);
  return left === undefined || right === undefined ? undefined : left === right;
}

/**
 * The register's version rule (see RegisterState.version), which outcome
 * resolution in the proposer relies on: a change either leaves the state
 * exactly as it was, or raises the version. So along any chain of changes
 * versions never go down, and equal versions mean equal states.
 */
export function followsVersionRule(before: RegisterContent, after: RegisterContent): boolean {
  if (after.version > before.version) return true;
  return after.version === before.version && sameState(before, after) === true;
}

/** JSON text with object keys sorted; undefined when the value is not serialisable. */
function canonicalJson(value: unknown): string | undefined {
  try {
    const text: string | undefined = JSON.stringify(value, (_key, item: unknown) =>
      item !== null && typeof item === 'object' && !Array.isArray(item)
        ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : item,
    );
    return text;
  } catch {
    return undefined;
  }
}
