import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainError, statusOfDomainError } from './domain-error';

/**
 * The one JSON shape of every 4xx and 5xx answer. Extra fields add detail. An
 * HTTP answer also carries `requestId` (withRequestId), the id of its log lines.
 */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
  [detail: string]: unknown;
}

interface CodedError {
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/** What to send instead: the parser's own message only says what it could not read. */
const UNSUPPORTED_MEDIA_TYPE_MESSAGE = 'the body must be JSON: send Content-Type: application/json';

/**
 * Turns anything thrown into the error body and status; undefined for an
 * unexpected error, which the caller logs and answers with a 500.
 */
export function describeKnownError(error: unknown): ErrorBody | undefined {
  if (error instanceof HttpException) {
    const status: number = error.getStatus();
    // Fastify's parser raises it (Nest's adapter wraps it in an HttpException).
    if (status === (HttpStatus.UNSUPPORTED_MEDIA_TYPE as number)) return body(status, UNSUPPORTED_MEDIA_TYPE_MESSAGE);
    const response = error.getResponse();
    const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : error.message;
    return body(status, message);
  }
  if (typeof error !== 'object' || error === null) return undefined;
  const domainStatus = statusOfDomainError(error);
  if (domainStatus !== undefined) {
    const domain = error as DomainError;
    return { ...body(domainStatus, domain.message), ...domain.clientDetails };
  }
  const coded = error as CodedError;
  // body-parser and the router mark client errors (bad JSON, too large,
  // bad percent-encoding) with a 4xx status and expose = true.
  const status = typeof coded.status === 'number' ? coded.status : coded.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return body(
      status,
      coded.expose !== false && typeof coded.message === 'string' ? coded.message : (STATUS_CODES[status] ?? 'error'),
    );
  }
  return undefined;
}

/** The headers a domain error asks to send with its answer (none for anything else). */
export function headersOfError(error: unknown): Readonly<Record<string, string>> {
  if (statusOfDomainError(error) === undefined) return {};
  return (error as DomainError).clientHeaders ?? {};
}

/** For per-item results: like describeKnownError, but never undefined. */
export function describeError(error: unknown): ErrorBody {
  return describeKnownError(error) ?? body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error');
}

export function body(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** The body as an HTTP answer sends it: with the id under which the request was logged. */
export function withRequestId(errorBody: ErrorBody, request: { readonly id: string }): ErrorBody {
  return { ...errorBody, requestId: request.id };
}
