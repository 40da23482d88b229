import { ReplicationError } from '../../replication/core/errors';
import { KeyNotFoundError, PreconditionFailedError } from '../kv.errors';
import { isAcceptableRequestId } from '../../common/request-id';
import { ForwardableOperation, KvResult } from '../kv-operation';

/**
 * Forwarded operations on the wire: a request `{ ops: WireOperation[],
 * timeoutMs }`, answered `{ results: WireResult[] }` in the same order. A
 * result is the operation's own result, or the domain error it failed with.
 */
export type WireOperation = ForwardableOperation & {
  /**
   * The client request it serves, for the log of the node that runs it (one
   * request can be followed across nodes). Per operation, because one message
   * carries the operations of many requests. Optional: older nodes send none.
   */
  readonly requestId?: string;
};

/** The request id an operation on the wire carries, if it is one a log line can take. */
export function requestIdOfWire(op: unknown): string | undefined {
  const id = typeof op === 'object' && op !== null ? (op as { requestId?: unknown }).requestId : undefined;
  return isAcceptableRequestId(id) ? id : undefined;
}

export type WireResult = ({ readonly ok: true } & KvResult) | { readonly ok: false; readonly error: EncodedError };

export interface EncodedError {
  readonly code: string;
  readonly message: string;
  readonly currentVersion?: number;
  readonly unreachable?: readonly string[];
}

/** Domain errors travel as data and are rebuilt on the other side; anything else is not ours to encode. */
export function encodeError(error: unknown): EncodedError | undefined {
  if (error instanceof KeyNotFoundError)
    return { code: error.code, message: error.message, currentVersion: error.version || undefined };
  if (error instanceof PreconditionFailedError) {
    return { code: error.code, message: error.message, currentVersion: error.currentVersion };
  }
  if (error instanceof ReplicationError)
    return { code: error.code, message: error.message, unreachable: error.unreachable };
  return undefined;
}

export function decodeError(key: string, encoded: EncodedError): Error {
  switch (encoded.code) {
    case 'KEY_NOT_FOUND':
      // A tombstone's version; a peer on an older release sends none (then the 404 goes without it).
      return new KeyNotFoundError(
        key,
        Number.isSafeInteger(encoded.currentVersion) ? encoded.currentVersion : undefined,
      );
    case 'PRECONDITION_FAILED':
      return new PreconditionFailedError(key, encoded.currentVersion);
    case 'QUORUM_UNREACHABLE':
    case 'OUTCOME_UNKNOWN':
      return new ReplicationError(encoded.code, encoded.message, encoded.unreachable ?? []);
    default:
      return new ReplicationError('OUTCOME_UNKNOWN', `forwarded write failed: ${encoded.message}`, []);
  }
}

/** The peer API path under /internal/v1 (and the peer channel's method) of forwarded operations. */
export const FORWARDED_OPS_METHOD = 'kv/ops';
