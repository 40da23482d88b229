/**
 * The value of one key's register as the replication protocol sees it.
 * `present: false` is a key that was never written or was deleted (a
 * tombstone); the version keeps counting across deletes so that an ETag never
 * comes back to mean a different value.
 */
export interface RegisterState {
  readonly present: boolean;
  /** Any JSON value; meaningless when `present` is false. */
  readonly value: unknown;
  /**
   * 0 for a key never written; +1 for every write or delete. A change that
   * leaves the state as it was keeps the version; any other change must raise
   * it (enforced by the proposer, see followsVersionRule).
   */
  readonly version: number;
}

export const ABSENT: RegisterState = Object.freeze({ present: false, value: null, version: 0 });

/**
 * Whether two states are the same register content as every store and the
 * wire would see it: same presence and version, and (when present) values
 * equal as JSON, key order ignored. A tombstone's value is meaningless, so it
 * is not compared. `undefined` when a value cannot be serialised as JSON, in
 * which case the answer is unknown and callers must assume the worst.
 */
export function sameState(a: RegisterState, b: RegisterState): boolean | undefined {
  if (a.present !== b.present || a.version !== b.version) return false;
  if (!a.present) return true;
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
export function followsVersionRule(before: RegisterState, after: RegisterState): boolean {
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
