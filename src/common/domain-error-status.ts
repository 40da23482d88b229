import { HttpStatus } from '@nestjs/common';
import type { ReplicationErrorCode } from '../replication/core/errors';
import type { AcceptorNotVotingError } from '../replication/recovery/acceptor-gate';
import type { KeyNotFoundError, PreconditionFailedError } from '../storage/kv.errors';

/** Every code a domain error carries. Domain code never throws HTTP exceptions; it throws these. */
export type DomainErrorCode =
  | KeyNotFoundError['code']
  | PreconditionFailedError['code']
  | ReplicationErrorCode
  | AcceptorNotVotingError['code'];

/**
 * The one table from domain error code to HTTP status, read by the exception
 * filter (and by the batch's per-item results). A new code does not compile
 * until it has its line here.
 */
const STATUS_BY_CODE: Record<DomainErrorCode, HttpStatus> = {
  KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  PRECONDITION_FAILED: HttpStatus.PRECONDITION_FAILED,
  QUORUM_UNREACHABLE: HttpStatus.SERVICE_UNAVAILABLE,
  OUTCOME_UNKNOWN: HttpStatus.SERVICE_UNAVAILABLE,
  ACCEPTOR_RECOVERING: HttpStatus.SERVICE_UNAVAILABLE,
};

/** The status of a domain error's code; undefined for any other code (a library's, a system call's). */
export function statusOfDomainCode(code: unknown): HttpStatus | undefined {
  return typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as DomainErrorCode] : undefined;
}
