import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PEER_API_PREFIX } from '../peer-transport/peer-api-prefix';
import { REQUEST_ID_HEADER } from '../common/request-id';

/**
 * Health probes (balancers and peers ask every second or so) and the peer
 * API are logged at debug: at info they would bury the clients' requests.
 */
function isRoutine(route: string | undefined): boolean {
  return route !== undefined && (route.startsWith(`/${PEER_API_PREFIX}/`) || /\/health(\/|$)/.test(route));
}

/**
 * Every answer carries its request id (X-Request-Id), and every request is
 * one log line: method, route, status, duration and, through the request's
 * logger, its requestId. The route is the pattern (`/kv-store/v1/kv/:key`),
 * never the URL: a key can be sensitive, and no key or value is ever logged.
 * A request that matched no route logs `route: null`.
 */
export function installRequestLog(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    echoRequestId(request, reply);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logRequest(request, reply);
    done();
  });
}

/** The request's one line; installRequestLog writes it, and answerRouterError, where no hook runs. */
export function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  request.log[isRoutine(route) ? 'debug' : 'info'](
    {
      method: request.method,
      route: route ?? null,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    },
    'request completed',
  );
}

/** For answers sent before the hooks run (the router's own errors). */
export function echoRequestId(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id);
}
