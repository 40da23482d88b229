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
  /** 0 for a key never written; +1 for every write or delete. */
  readonly version: number;
}

export const ABSENT: RegisterState = Object.freeze({ present: false, value: null, version: 0 });
