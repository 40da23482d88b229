import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { body, describeKnownError, headersOfError } from '../common/error-body';

/**
 * Maps every error to the one JSON error shape. Unexpected errors become a 500
 * with a correlation id that is also in the log, and never leak internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse<unknown>();
    let errorBody = describeKnownError(error);
    if (!errorBody) {
      const correlationId = randomUUID();
      this.logger.error(`unexpected error ${correlationId}`, error instanceof Error ? error.stack : String(error));
      errorBody = { ...body(500, 'internal error'), correlationId };
    }
    for (const [name, value] of Object.entries(headersOfError(error))) httpAdapter.setHeader(response, name, value);
    httpAdapter.reply(response, errorBody, errorBody.statusCode);
  }
}
