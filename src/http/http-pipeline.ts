import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppConfig, MAX_KEY_BYTES, peerBodyLimit } from '../config/app-config';
import { PEER_API_PREFIX } from '../peer-transport/peer-api-prefix';
import { SERVER_KEEP_ALIVE_MS } from '../peer-transport/stale-connection';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { AllowedMethods } from './allowed-methods';
import { body, withRequestId } from '../common/error-body';
import { depthExceeds, MAX_JSON_DEPTH } from '../common/json-depth';
import { JsonValidationPipe } from './json-validation.pipe';
import { RequestContextInterceptor } from './request-context.interceptor';
import { requestIdOf } from '../common/request-id';
import { echoRequestId, installRequestLog, logRequest } from './request-log';

/**
 * The HTTP server: Fastify, chosen by measurement (bench/http-adapters.ts:
 * ~20 µs of CPU per request against ~115 µs for Express 5, and a cluster
 * write costs several requests between nodes).
 */
export function createHttpAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  const adapter = new FastifyAdapter({
    // The node's logger; each request's child logger adds its requestId. Fastify's own two lines
    // per request carry the raw URL (a key); installRequestLog writes one line with the route instead.
    loggerInstance: logger,
    // Fastify's own request lines off (they also name the raw URL of a request that found no route).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false, // genReqId reads X-Request-Id itself, and checks it
    genReqId: requestIdOf,
    // Clients are held to MAX_BODY_BYTES (see below); peer batches carry many values at once.
    bodyLimit: peerBodyLimit(config),
    routerOptions: {
      // A key is up to 1024 bytes of UTF-8, up to three characters each once percent-encoded.
      maxParamLength: MAX_KEY_BYTES * 3 + 16,
      // The origin store's clients send ".../kv/foo/" and ".../health/". The router drops one
      // trailing "/" before matching; a "/" inside a key is always sent as %2F, so it stays in the key.
      ignoreTrailingSlash: true,
    },
    // A malformed URL or an over-long key is answered by the router before any hook or filter runs.
    frameworkErrors: answerRouterError,
    // Values are any JSON: a "__proto__" or "constructor" key is data here, kept as JSON.parse keeps it.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    keepAliveTimeout: SERVER_KEEP_ALIVE_MS,
    // No limit on a request's life once it has arrived (Fastify's defaults, made explicit): a long
    // poll (GET ?waitSeconds=300) sends nothing for up to 300 s plus a read, and must not be cut.
    connectionTimeout: 0,
    requestTimeout: 0,
  });
  const fastify = adapter.getInstance<FastifyInstance>();
  const allowed = new AllowedMethods();
  installRequestLog(fastify); // first: the answers of the hooks below carry the request id too
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith(`/${PEER_API_PREFIX}`)) route.bodyLimit = config.maxBodyBytes;
    allowed.add(route.url, route.method);
  });
  fastify.addHook('onRequest', (request, reply, done) => answerOtherMethods(allowed, request, reply, done));
  // JSON only: a form or plain-text body is a 415, never read as a value.
  fastify.removeContentTypeParser('text/plain');
  // JSON under its structured-syntax names too (application/merge-patch+json, ...).
  fastify.addContentTypeParser(
    /^application\/[\w.+-]+\+json$/,
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('ignore', 'ignore'),
  );
  fastify.addHook('preValidation', limitJsonDepth);
  return adapter;
}

/**
 * Validation and the error shape, for production and test apps alike. Errors
 * Fastify raises itself (bad JSON, too large, unsupported media type,
 * malformed URL) reach the same filter through Nest's adapter.
 */
export function configureHttpPipeline(app: NestFastifyApplication): void {
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  app.useGlobalInterceptors(new RequestContextInterceptor());
  app.useGlobalPipes(
    new JsonValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      // Values are arbitrary JSON and must reach storage exactly as parsed;
      // class-transformer would rebuild them (and treat "__proto__" keys
      // specially), so handlers get the validated original instead (and see
      // JsonValidationPipe for the keys the pipe itself would delete).
      transform: false,
      stopAtFirstError: false,
    }),
  );
}

/**
 * The router has no route for this method: if the path exists with other
 * methods, say so (405 and Allow) instead of the 404 that means "no such
 * path" (and, on a key, reads like "no such key"). OPTIONS asks exactly
 * this question, so it gets a 204 with Allow (RFC 9110, 9.3.7); there is no
 * CORS here, so a browser's preflight still fails, as it should.
 */
function answerOtherMethods(
  allowed: AllowedMethods,
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  const methods = request.is404 ? allowed.at(request.url) : [];
  if (methods.length === 0) return done();
  reply.header('Allow', methods.join(', '));
  if (request.method === 'OPTIONS') {
    void reply.status(204).send();
    return;
  }
  void reply
    .status(405)
    .send(withRequestId(body(405, `${request.method} is not allowed here; allowed: ${methods.join(', ')}`), request));
}

/** The router's own errors, in the one error shape (Fastify's default adds a "code" field). */
function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `URI too long: a key is at most ${MAX_KEY_BYTES} bytes`
      : `malformed URL: ${error.message}`;
  echoRequestId(request, reply);
  void reply.status(status).send(withRequestId(body(status, message), request));
  logRequest(request, reply); // the router's answers skip the onResponse hook
}

async function limitJsonDepth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.body !== undefined && depthExceeds(request.body, MAX_JSON_DEPTH)) {
    await reply.status(400).send(withRequestId(body(400, `JSON nests deeper than ${MAX_JSON_DEPTH} levels`), request));
  }
}
