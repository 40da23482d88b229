import type { DomainError } from '../common/domain-error';

/** Domain outcomes of key-value operations; their kinds decide the HTTP status (common/domain-error.ts). */
export class KeyNotFoundError extends Error implements DomainError {
  readonly code = 'KEY_NOT_FOUND';
  readonly kind = 'not-found';
  constructor(
    readonly key: string,
    /** The tombstone's version, when a read found one (a key never written has none: version 0). */
    readonly version?: number,
  ) {
    super(`key ${JSON.stringify(key)} not found`);
  }

  /** A deleted key's 404 says at which version it was deleted: a long poll waits past it. */
  get clientHeaders(): Record<string, string> {
    return this.version ? { [KV_VERSION_HEADER]: String(this.version) } : {};
  }
}

/** The version of a key's state where no ETag can carry it: on a 404 for a deleted key. */
export const KV_VERSION_HEADER = 'X-Kv-Version';

export class PreconditionFailedError extends Error implements DomainError {
  readonly code = 'PRECONDITION_FAILED';
  readonly kind = 'precondition-failed';
  constructor(
    readonly key: string,
    readonly currentVersion: number | undefined,
  ) {
    super(
      currentVersion === undefined
        ? `precondition failed: key ${JSON.stringify(key)} does not exist`
        : `precondition failed: key ${JSON.stringify(key)} is at version ${currentVersion}`,
    );
  }
}
