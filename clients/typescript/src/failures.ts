/**
 * Errors that happen before a connection exists: the request was never sent,
 * so no node can have acted on it. Anything else (a reset, a socket closed
 * mid-answer, a timeout) may have come after the node read the request.
 */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  // undici's own: the TCP connection was not established in time.
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** How a request that got no answer failed. */
export interface TransportFailure {
  /** True only when the request provably never reached a node. */
  readonly neverSent: boolean;
  readonly description: string;
}

/**
 * Reads what fetch threw: a TypeError("fetch failed") whose cause says why, or
 * a timeout. Read by shape, not instanceof: errors from another realm (a
 * test runner's sandbox) are not instances of this realm's Error.
 */
export function classifyFailure(error: unknown): TransportFailure {
  const { name, message, cause } = fieldsOf(error);
  if (name === 'TimeoutError' || name === 'AbortError')
    return { neverSent: false, description: `no answer in time (${message})` };
  const codes = codesOf(cause ?? error);
  const description = codes.length > 0 ? codes.join(', ') : (fieldsOf(cause).message ?? message ?? String(error));
  return { neverSent: codes.length > 0 && codes.every((code) => NEVER_CONNECTED.has(code)), description };
}

function fieldsOf(error: unknown): {
  name?: string;
  message?: string;
  cause?: unknown;
  code?: string;
  errors?: unknown;
} {
  return typeof error === 'object' && error !== null ? error : {};
}

/** The error codes of an error and, for an AggregateError (several addresses tried), of each attempt. */
function codesOf(error: unknown): string[] {
  const { code, errors } = fieldsOf(error);
  const nested = Array.isArray(errors) ? errors.flatMap(codesOf) : [];
  if (nested.length > 0) return nested;
  return typeof code === 'string' ? [code] : [];
}
