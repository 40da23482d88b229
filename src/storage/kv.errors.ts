/** Domain outcomes of key-value operations; the HTTP mapping lives in one filter. */
export class KeyNotFoundError extends Error {
  readonly code = 'KEY_NOT_FOUND';
  constructor(readonly key: string) {
    super(`key ${JSON.stringify(key)} not found`);
  }
}

export class PreconditionFailedError extends Error {
  readonly code = 'PRECONDITION_FAILED';
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
