import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A client's id is kept when it is a token a log line can carry as-is: 1-128
 * of the characters of a URL-safe token (letters, digits, `-_.:~+/=`; enough
 * for UUIDs, ULIDs, base64 and the ids of common proxies and tracers). Anything
 * else (too long, spaces, quotes, control characters, several headers) is
 * replaced, so that a client cannot forge log lines or make them huge.
 */
const ACCEPTED_ID = /^[A-Za-z0-9\-_.:~+/=]{1,128}$/;

export function isAcceptableRequestId(id: unknown): id is string {
  return typeof id === 'string' && ACCEPTED_ID.test(id);
}

/** Fastify's genReqId: the client's X-Request-Id when acceptable, else a new random UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return isAcceptableRequestId(sent) ? sent : randomUUID();
}
