import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PEER_API_PREFIX } from '../peer-transport/peer-api-prefix';
import { REQUEST_ID_HEADER } from '../common/request-id';

/**
 * Health probes (balancers and peers ask every second or so), Prometheus's
 * scrapes and the peer API are logged at debug: at info they would bury the
 * clients' requests.
 */
function isRoutine(route: string | undefined): boolean {
  return (
    route !== undefined &&
    (route.startsWith(`/${PEER_API_PREFIX}/`) || /\/health(\/|$)/.test(route) || route === '/metrics')
  );
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
    // Fastify runs onResponse only for an answer that was sent to the end. A client that hangs up
    // first (a watch stream, a long poll, a slow write) would leave its request without a line.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) logRequest(request, reply, { aborted: true });
    });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logRequest(request, reply);
    done();
  });
}

/** Requests already logged: one line each, whichever of the ways above ends it first. */
const logged = new WeakSet<FastifyRequest>();

/**
 * The request's one line; installRequestLog writes it, and answerRouterError,
 * where no hook runs. `aborted`: the client closed the connection before the
 * answer ended (the status is the one set by then).
 */
export function logRequest(request: FastifyRequest, reply: FastifyReply, details: { aborted?: true } = {}): void {
  if (logged.has(request)) return;
  logged.add(request);
  const route = request.routeOptions.url;
  request.log[isRoutine(route) ? 'debug' : 'info'](
    {
      method: request.method,
      route: route ?? null,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ...details,
    },
    details.aborted ? 'request aborted by the client' : 'request completed',
  );
}

/**
 * Set on the raw response, which Fastify's own headers are merged into: so it
 * is also on the answers written by hand (a watch stream hijacks its reply).
 * Called from the onRequest hook, and for the router's answers, which come first.
 */
export function echoRequestId(request: FastifyRequest, reply: FastifyReply): void {
  reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
}
