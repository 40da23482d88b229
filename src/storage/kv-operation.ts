import { MAX_TTL_SECONDS } from './dto/is-ttl-seconds.decorator';
import { EntityTagCondition, Preconditions } from './preconditions';

/**
 * The key-value operations, as plain data: the one shape the executor runs,
 * locally or for a peer that forwarded it (change functions cannot cross the
 * network, data can). Adding an operation means a member here, its result
 * below, and its case in KvExecutor.execute.
 *
 * Reads: `linearizable` runs a full round; `if-agreed` answers only when a
 * majority of replicas agree at once (one round trip), else `unsettled`;
 * `local` reads this node's copy alone.
 */
export type KvOperation = ReadOperation | PutOperation | DeleteOperation;

export type ReadConsistency = 'linearizable' | 'if-agreed' | 'local';

export interface ReadOperation<C extends ReadConsistency = ReadConsistency> {
  readonly type: 'read';
  readonly key: string;
  readonly consistency: C;
}

export interface PutOperation {
  readonly type: 'put';
  readonly key: string;
  readonly value: unknown;
  readonly conditions: Preconditions;
  /**
   * The key expires this many seconds after the proposer that runs the write
   * applies it (its expiry is fixed there, by that node's clock); without it
   * the key is permanent, whatever it was before.
   */
  readonly ttlSeconds?: number;
}

export interface DeleteOperation {
  readonly type: 'delete';
  readonly key: string;
  readonly conditions: Preconditions;
}

/** What may be sent to a key's preferred proposer: writes, and reads that need a full round. */
export type ForwardableOperation = ReadOperation<'linearizable'> | PutOperation | DeleteOperation;

export interface ReadResult {
  readonly type: 'read';
  readonly value: unknown;
  readonly version: number;
  /** ms since the epoch; only for a key with a TTL. */
  readonly expiresAt?: number;
}

/** The replicas disagreed (a write in flight): the read needs a full round. */
export interface UnsettledResult {
  readonly type: 'unsettled';
}

export interface PutResult {
  readonly type: 'put';
  readonly created: boolean;
  readonly version: number;
  /** ms since the epoch; only when the write gave the key a TTL. */
  readonly expiresAt?: number;
}

export interface DeleteResult {
  readonly type: 'delete';
}

export type KvResult = ReadResult | UnsettledResult | PutResult | DeleteResult;

/** The result each operation can have. A domain failure (absent key, failed precondition, no quorum) is thrown, not returned. */
export type ResultOf<O extends KvOperation> = O extends PutOperation
  ? PutResult
  : O extends DeleteOperation
    ? DeleteResult
    : O extends ReadOperation<'if-agreed'>
      ? ReadResult | UnsettledResult
      : O extends ReadOperation<'linearizable' | 'local'>
        ? ReadResult
        : ReadResult | UnsettledResult;

/**
 * A forwarded operation from a peer, checked (peers are authenticated, but a
 * bad message must still be a 400, never a crash). A read carries no
 * consistency on the wire: only reads that need a full round are forwarded.
 */
export function parseForwardedOperation(value: unknown): ForwardableOperation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const op = value as Record<string, unknown>;
  const key = op.key;
  if (typeof key !== 'string' || key.length === 0) return undefined;
  switch (op.type) {
    case 'read':
      return { type: 'read', key, consistency: 'linearizable' };
    case 'put': {
      if (!('value' in op) || op.value === undefined || !isPreconditions(op.conditions)) return undefined;
      const { ttlSeconds } = op;
      if (ttlSeconds === undefined || ttlSeconds === null)
        return { type: 'put', key, value: op.value, conditions: op.conditions };
      if (!isTtlSeconds(ttlSeconds)) return undefined;
      return { type: 'put', key, value: op.value, conditions: op.conditions, ttlSeconds };
    }
    case 'delete':
      if (!isPreconditions(op.conditions)) return undefined;
      return { type: 'delete', key, conditions: op.conditions };
    default:
      return undefined;
  }
}

/**
 * A peer's answer to a forwarded operation, checked against the operation it
 * answers (it carries no more than the caller lacks: a put's answer has no value).
 * Undefined when it does not fit.
 */
export function parseForwardedResult<O extends ForwardableOperation>(op: O, reply: object): ResultOf<O> | undefined {
  const { version, created, expiresAt } = reply as Record<string, unknown>;
  // An expiry is optional in both results; when there, a whole number of ms.
  const expiry = expiresAt === undefined || expiresAt === null ? {} : { expiresAt };
  if (expiry.expiresAt !== undefined && !(Number.isSafeInteger(expiry.expiresAt) && (expiresAt as number) > 0))
    return undefined;
  switch (op.type) {
    case 'read':
      if (!Number.isSafeInteger(version) || !('value' in reply)) return undefined;
      return { type: 'read', value: reply.value, version, ...expiry } as ResultOf<O>;
    case 'put':
      if (!Number.isSafeInteger(version) || typeof created !== 'boolean') return undefined;
      return { type: 'put', created, version, ...expiry } as ResultOf<O>;
    case 'delete':
      return { type: 'delete' } as ResultOf<O>;
  }
}

function isTtlSeconds(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_TTL_SECONDS;
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
