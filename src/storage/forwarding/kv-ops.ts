import { ReplicationError } from '../../replication/core/errors';
import { KeyNotFoundError, PreconditionFailedError } from '../kv.errors';
import { EntityTagCondition, Preconditions } from '../preconditions';

/**
 * An operation as it travels to the node that should propose for its key:
 * plain data, since the change functions themselves cannot cross the network.
 * Writes always go there; a read only when replicas disagreed (it then needs
 * a full round, which is best run by the key's usual proposer).
 */
export type KvOp =
  | { readonly type: 'put'; readonly key: string; readonly value: unknown; readonly conditions: Preconditions }
  | { readonly type: 'delete'; readonly key: string; readonly conditions: Preconditions }
  | { readonly type: 'read'; readonly key: string };

export type KvOpResult =
  | { readonly ok: true; readonly created?: boolean; readonly version?: number; readonly value?: unknown }
  | { readonly ok: false; readonly error: EncodedError };

interface EncodedError {
  readonly code: string;
  readonly message: string;
  readonly currentVersion?: number;
  readonly unreachable?: readonly string[];
}

/** Domain errors travel as data and are rebuilt on the other side; anything else is not ours to encode. */
export function encodeError(error: unknown): EncodedError | undefined {
  if (error instanceof KeyNotFoundError) return { code: error.code, message: error.message };
  if (error instanceof PreconditionFailedError) {
    return { code: error.code, message: error.message, currentVersion: error.currentVersion };
  }
  if (error instanceof ReplicationError) return { code: error.code, message: error.message, unreachable: error.unreachable };
  return undefined;
}

export function decodeError(key: string, encoded: EncodedError): Error {
  switch (encoded.code) {
    case 'KEY_NOT_FOUND':
      return new KeyNotFoundError(key);
    case 'PRECONDITION_FAILED':
      return new PreconditionFailedError(key, encoded.currentVersion);
    case 'QUORUM_UNREACHABLE':
    case 'OUTCOME_UNKNOWN':
      return new ReplicationError(encoded.code, encoded.message, encoded.unreachable ?? []);
    default:
      return new ReplicationError('OUTCOME_UNKNOWN', `forwarded write failed: ${encoded.message}`, []);
  }
}

/** Checks a forwarded operation's shape (peers are authenticated, but a bad message must still be a 400). */
export function isKvOp(value: unknown): value is KvOp {
  if (typeof value !== 'object' || value === null) return false;
  const op = value as Record<string, unknown>;
  if (typeof op.key !== 'string' || op.key.length === 0) return false;
  if (op.type === 'read') return true;
  if (!isPreconditions(op.conditions)) return false;
  if (op.type === 'put') return 'value' in op && op.value !== undefined;
  return op.type === 'delete';
}

function isPreconditions(value: unknown): value is Preconditions {
  if (typeof value !== 'object' || value === null) return false;
  const { ifMatch, ifNoneMatch } = value as Record<string, unknown>;
  return isCondition(ifMatch) && isCondition(ifNoneMatch);
}

function isCondition(value: unknown): value is EntityTagCondition | undefined {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  const condition = value as Record<string, unknown>;
  if (condition.any === true) return true;
  const versions = (list: unknown) => Array.isArray(list) && list.every((v) => Number.isSafeInteger(v));
  return condition.any === false && versions(condition.strong) && versions(condition.weak);
}

/** The peer API path under /internal/v1 (and the peer channel's method) of forwarded operations. */
export const FORWARDED_OPS_METHOD = 'kv/ops';
