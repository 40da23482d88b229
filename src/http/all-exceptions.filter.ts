import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { body, describeKnownError, headersOfError, withRequestId } from '../common/error-body';

/**
 * Maps every error to the one JSON error shape, with the request's id (the id
 * of its log lines). Unexpected errors become a 500 that never leaks
 * internals; the error is logged under the same request id.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const http = host.switchToHttp();
    const response = http.getResponse<unknown>();
    const request = http.getRequest<FastifyRequest>();
    let errorBody = describeKnownError(error);
    if (!errorBody) {
      this.logger.error(
        { msg: 'unexpected error', requestId: request.id },
        error instanceof Error ? error.stack : String(error),
      );
      errorBody = body(500, 'internal error');
    }
    for (const [name, value] of Object.entries(headersOfError(error))) httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, withRequestId(errorBody, request), errorBody.statusCode);
  }
}
