import type { DomainError } from '../common/domain-error';

/** Domain outcomes of key-value operations; their kinds decide the HTTP status (common/domain-error.ts). */
export class KeyNotFoundError extends Error implements DomainError {
  readonly code = 'KEY_NOT_FOUND';
  readonly kind = 'not-found';
  constructor(readonly key: string) {
    super(`key ${JSON.stringify(key)} not found`);
  }
}

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
