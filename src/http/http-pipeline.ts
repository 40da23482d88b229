import { ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig, MAX_KEY_BYTES, peerBodyLimit } from '../config/app-config';
import { PEER_API_PREFIX } from '../peer-transport/peer-api-prefix';
import { SERVER_KEEP_ALIVE_MS } from '../peer-transport/stale-connection';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { body } from '../common/error-body';
import { depthExceeds, MAX_JSON_DEPTH } from '../common/json-depth';

/**
 * The HTTP server: Fastify, chosen by measurement (bench/http-adapters.ts:
 * ~20 µs of CPU per request against ~115 µs for Express 5, and a cluster
 * write costs several requests between nodes).
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  const adapter = new FastifyAdapter({
    // Clients are held to MAX_BODY_BYTES (see below); peer batches carry many values at once.
    bodyLimit: peerBodyLimit(config),
    // A key is up to 1024 bytes of UTF-8, up to three characters each once percent-encoded.
    routerOptions: { maxParamLength: MAX_KEY_BYTES * 3 + 16 },
    // Values are any JSON: a "__proto__" or "constructor" key is data here, kept as JSON.parse keeps it.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    keepAliveTimeout: SERVER_KEEP_ALIVE_MS,
  });
  const fastify = adapter.getInstance<FastifyInstance>();
  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith(`/${PEER_API_PREFIX}`)) route.bodyLimit = config.maxBodyBytes;
  });
  // JSON only: a form or plain-text body is a 415, never read as a value.
  fastify.removeContentTypeParser('text/plain');
  // JSON under its structured-syntax names too (application/merge-patch+json, ...).
  fastify.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'string' }, fastify.getDefaultJsonParser('ignore', 'ignore'));
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
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      // Values are arbitrary JSON and must reach storage exactly as parsed;
      // class-transformer would rebuild them (and treat "__proto__" keys
      // specially), so handlers get the validated original instead.
      transform: false,
      stopAtFirstError: false,
    }),
  );
}

async function limitJsonDepth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.body !== undefined && depthExceeds(request.body, MAX_JSON_DEPTH)) {
    await reply.status(400).send(body(400, `JSON nests deeper than ${MAX_JSON_DEPTH} levels`));
  }
}
