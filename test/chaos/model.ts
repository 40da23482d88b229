/**
 * The sequential specification of one key: a versioned register that can be
 * absent. The checker asks "could this operation, with the outcome the client
 * observed, have happened atomically in this state?" via `step`.
 *
 * Values are compared by canonical JSON (object keys sorted), so
 * {"a":1,"b":2} and {"b":2,"a":1} are the same value, as they are for the
 * store's JSON column. A written value that no read of the key ever observed
 * is compared as UNREAD instead: no read can tell two such values apart, and
 * merging them lets the checker's memo merge states that only differ there.
 *
 * Expiry: a value written with a TTL carries the earliest moment the store
 * may delete it (`expiresFrom`). `expire` is that delete, which no client
 * asks for: the search may apply it to the current state at any point that
 * can lie at or after that moment (linearize.ts), or never. Tied to the state
 * rather than to the write, it follows the value: a later write replaces it.
 */
import { earliestExpiry } from './expiries';
import type { JsonValue, KvOperation, MutationResult, Operation, ReadResult } from './history';

export interface RegisterState {
  readonly present: boolean;
  /** null when absent. */
  readonly value: JsonValue;
  /** Canonical JSON of `value` (or UNREAD), the form states are compared in. */
  readonly valueKey: string;
  readonly version: number;
  /** History ms from which the store may expire the value; Infinity for a value without a TTL (or none). */
  readonly expiresFrom: number;
}

export const INITIAL_STATE: RegisterState = Object.freeze({
  present: false,
  value: null,
  valueKey: 'null',
  version: 0,
  expiresFrom: Infinity,
});

/** What the checker knows about an operation, reduced to what constrains the register. */
export interface RegisterOp {
  readonly kind: 'write' | 'cas' | 'create' | 'delete' | 'read';
  /** "unknown" = indeterminate: it either happened (with whatever outcome the state dictates) or never did. */
  readonly outcome: 'ok' | 'fail' | 'unknown';
  /** The value a write/cas/create stores, and its comparison form (canonical JSON or UNREAD). */
  readonly value?: JsonValue;
  readonly valueKey?: string;
  /** The If-Match version of a cas or conditional delete. */
  readonly expectVersion?: number;
  /** The version the store reported after a successful change, or with a read's value. */
  readonly observedVersion?: number;
  /** A successful read: whether it found the key, and the value it saw. */
  readonly observedFound?: boolean;
  readonly observedValueKey?: string;
  /** A failure that carried a 404: the key was absent. */
  readonly observedNotFound?: boolean;
  /** A write with a TTL: from when the store may expire its value (expiries.ts). */
  readonly expiresFrom?: number;
}

/** Stands in for every value no read observed. Not valid JSON, so it never equals a canonical value. */
export const UNREAD = '<unread>';

/**
 * Converts the recorded operations of ONE key into model operations; an entry
 * is undefined when that operation constrains nothing and can be left out of
 * the search entirely (indeterminate or failed reads; unconditional writes
 * that definitely failed).
 */
export function toRegisterOps(operations: readonly Operation[]): (RegisterOp | undefined)[] {
  const converted = operations.map(toRegisterOp);
  const observed = new Set<string>();
  for (const op of converted) if (op?.observedValueKey !== undefined) observed.add(op.observedValueKey);
  return converted.map((op) =>
    op?.valueKey !== undefined && !observed.has(op.valueKey) ? { ...op, valueKey: UNREAD } : op,
  );
}

/**
 * Indeterminate operations with equal signatures are interchangeable: each is
 * available from its invocation on and never has to be linearized, so which
 * of them took effect cannot matter, only how many did.
 */
export function effectSignature(op: RegisterOp): string {
  return `${op.kind}|${op.expectVersion ?? ''}|${op.valueKey ?? ''}`;
}

function toRegisterOp(operation: Operation): RegisterOp | undefined {
  const { op, status } = operation;
  if (op.f === 'read') {
    if (status !== 'ok') return undefined;
    const result = operation.result as ReadResult;
    if (!result.found) return { kind: 'read', outcome: 'ok', observedFound: false };
    return {
      kind: 'read',
      outcome: 'ok',
      observedFound: true,
      observedValueKey: canonicalJson(result.value),
      ...(result.version === undefined ? {} : { observedVersion: result.version }),
    };
  }
  if (op.f === 'write' && status === 'fail') return undefined;

  const outcome = status === 'info' ? 'unknown' : status;
  const written = 'value' in op ? { value: op.value, valueKey: canonicalJson(op.value) } : {};
  const expected = expectVersionOf(op);
  const observedVersion = status === 'ok' ? (operation.result as MutationResult | undefined)?.version : undefined;
  const observedNotFound = status === 'fail' && (operation.result as { code?: number } | undefined)?.code === 404;
  const expiresFrom = earliestExpiry(operation);
  return {
    kind: op.f,
    outcome,
    ...written,
    ...(expiresFrom === undefined ? {} : { expiresFrom }),
    ...(expected === undefined ? {} : { expectVersion: expected }),
    ...(observedVersion === undefined ? {} : { observedVersion }),
    ...(observedNotFound ? { observedNotFound } : {}),
  };
}

function expectVersionOf(op: KvOperation): number | undefined {
  if (op.f === 'cas') return op.expectVersion;
  if (op.f === 'delete') return op.expectVersion;
  return undefined;
}

/**
 * The state after `op` takes effect atomically in `state`, or undefined when
 * that is impossible given what the client observed.
 *
 * An indeterminate operation whose precondition fails here would be a no-op;
 * we reject that too, because "never linearized" already covers it and keeps
 * the operation available for a later point, so accepting it would only
 * enlarge the search.
 */
export function step(state: RegisterState, op: RegisterOp): RegisterState | undefined {
  if (op.kind === 'read') return readMatches(state, op) ? state : undefined;

  const allowed = preconditionHolds(state, op);
  if (op.outcome === 'fail') {
    if (allowed) return undefined;
    if (op.observedNotFound && state.present) return undefined;
    return state;
  }
  if (!allowed) return undefined;
  const next = applyChange(state, op);
  if (op.observedVersion !== undefined && op.observedVersion !== next.version) return undefined;
  return next;
}

function preconditionHolds(state: RegisterState, op: RegisterOp): boolean {
  switch (op.kind) {
    case 'write':
      return true;
    case 'create':
      return !state.present;
    case 'cas':
      return state.present && state.version === op.expectVersion;
    case 'delete':
      return state.present && (op.expectVersion === undefined || state.version === op.expectVersion);
    case 'read':
      return true;
  }
}

function applyChange(state: RegisterState, op: RegisterOp): RegisterState {
  if (op.kind === 'delete') return absentAfter(state);
  return {
    present: true,
    value: op.value as JsonValue,
    valueKey: op.valueKey as string,
    version: state.version + 1,
    expiresFrom: op.expiresFrom ?? Infinity,
  };
}

/** Whether the store may have expired the state's value at a moment no later than `latest`. */
export function mayExpire(state: RegisterState, latest: number): boolean {
  return state.present && state.expiresFrom <= latest;
}

/** The store's expiry of the current value: a delete, with its new version. */
export function expire(state: RegisterState): RegisterState {
  return absentAfter(state);
}

function absentAfter(state: RegisterState): RegisterState {
  return { present: false, value: null, valueKey: 'null', version: state.version + 1, expiresFrom: Infinity };
}

function readMatches(state: RegisterState, op: RegisterOp): boolean {
  if (!op.observedFound) return !state.present;
  if (!state.present || state.valueKey !== op.observedValueKey) return false;
  return op.observedVersion === undefined || op.observedVersion === state.version;
}

export function describeState(state: RegisterState): string {
  if (!state.present) return `absent at version ${state.version}`;
  const expiry = state.expiresFrom === Infinity ? '' : ` (may expire from ${state.expiresFrom.toFixed(1)})`;
  return `value ${canonicalJson(state.value)} at version ${state.version}${expiry}`;
}

/** Why `step(state, op)` returned undefined, for the failure report. */
export function explainRejection(state: RegisterState, op: RegisterOp): string {
  const here = `the register is ${describeState(state)}`;
  if (op.kind === 'read') {
    const saw = op.observedFound
      ? `value ${op.observedValueKey}${op.observedVersion === undefined ? '' : ` at version ${op.observedVersion}`}`
      : 'no value (not found)';
    return `read saw ${saw}, but ${here}`;
  }
  const allowed = preconditionHolds(state, op);
  const precondition = describePrecondition(op);
  if (op.outcome === 'fail') {
    if (allowed) return `failed, but its precondition (${precondition}) holds: ${here}`;
    return `failed with 404, but ${here}`;
  }
  if (!allowed) {
    return op.outcome === 'ok'
      ? `succeeded, but its precondition (${precondition}) fails: ${here}`
      : `indeterminate; would be a no-op here (${precondition} fails), which is the same as never taking effect`;
  }
  const next = applyChange(state, op);
  return `succeeded reporting version ${op.observedVersion}, but applied to ${describeState(state)} it yields version ${next.version}`;
}

function describePrecondition(op: RegisterOp): string {
  switch (op.kind) {
    case 'create':
      return 'key absent';
    case 'cas':
      return `key present at version ${op.expectVersion}`;
    case 'delete':
      return op.expectVersion === undefined ? 'key present' : `key present at version ${op.expectVersion}`;
    case 'read':
    case 'write':
      return 'none';
  }
}

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
