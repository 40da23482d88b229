import { ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { PEER_API_PREFIX } from '../replication/peer-api/peer.controller';
import { AppConfig } from '../config/app-config';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { body, describeKnownError } from './error-body';

/** Deeper JSON than this is refused: it would overflow recursive code (validation, serialisation). */
export const MAX_JSON_DEPTH = 256;

/**
 * Everything a request passes before a controller: content-type check, JSON
 * parsing with size limits, a depth guard, validation and the error shape.
 * The same function configures production and test apps.
 */
export function configureHttpPipeline(app: NestExpressApplication, config: AppConfig): void {
  app.use(requireJsonBody);
  // Peer batches carry many values at once; clients are held to MAX_BODY_BYTES.
  // The first parser that reads a body marks it parsed, so the second skips it.
  app.use(`/${PEER_API_PREFIX}`, json({ limit: config.maxBodyBytes * 16 }));
  app.useBodyParser('json', { limit: config.maxBodyBytes, type: ['application/json', 'application/*+json'] });
  app.use(limitJsonDepth);
  app.use(replyWithErrorBody); // errors from the middleware above (bad JSON, too large)
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

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** 415 for a body that is not JSON, before any parser sees it. */
function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (BODY_METHODS.has(req.method) && hasBody && !req.is(['application/json', 'application/*+json'])) {
    const contentType = req.headers['content-type'] ?? 'none';
    sendError(res, body(415, `expected a JSON body (Content-Type: application/json), got ${contentType}`));
    return;
  }
  next();
}

function limitJsonDepth(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined && depthExceeds(req.body, MAX_JSON_DEPTH)) {
    sendError(res, body(400, `JSON nests deeper than ${MAX_JSON_DEPTH} levels`));
    return;
  }
  next();
}

/** Iterative, so the check itself cannot overflow the stack it protects. */
function depthExceeds(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

function replyWithErrorBody(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const known = describeKnownError(error);
  if (!known) return next(error);
  sendError(res, known);
}

function sendError(res: Response, errorBody: { statusCode: number }): void {
  res.status(errorBody.statusCode).json(errorBody);
}

