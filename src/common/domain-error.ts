import { HttpStatus } from '@nestjs/common';

/**
 * What a domain error means to a client, whatever layer raised it. Domain
 * code (the replication core, the acceptor gate, the key-value operations)
 * never throws HTTP exceptions: it throws errors of one of these kinds, and
 * the HTTP status follows from the kind in this one table.
 */
export type DomainErrorKind = 'not-found' | 'precondition-failed' | 'unavailable';

const STATUS_BY_KIND: Record<DomainErrorKind, HttpStatus> = {
  'not-found': HttpStatus.NOT_FOUND,
  'precondition-failed': HttpStatus.PRECONDITION_FAILED,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/** Implemented by every domain error class, so that a new one cannot be written without a kind. */
export interface DomainError extends Error {
  /** Stable, machine-readable, carried between nodes (for example `OUTCOME_UNKNOWN`). */
  readonly code: string;
  readonly kind: DomainErrorKind;
  /** Facts a client needs to decide what to do next; added to the error body. */
  readonly clientDetails?: Readonly<Record<string, unknown>>;
  /** Response headers that go with the error (Retry-After, X-Kv-Version). */
  readonly clientHeaders?: Readonly<Record<string, string>>;
}

/** The status of a domain error; undefined for anything else (a library's error, a bug). */
export function statusOfDomainError(error: unknown): HttpStatus | undefined {
  if (!(error instanceof Error) || !('kind' in error)) return undefined;
  const { kind } = error;
  return typeof kind === 'string' && Object.hasOwn(STATUS_BY_KIND, kind)
    ? STATUS_BY_KIND[kind as DomainErrorKind]
    : undefined;
}
