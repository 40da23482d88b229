import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorBodySchema } from './error-body.schema';

/** Why each error status happens, said once for every route that can answer it. */
const WHY: Record<number, string> = {
  400: 'Malformed input: JSON, a field, a query parameter, an ETag or the URL',
  404: 'No such key',
  412: 'A precondition (If-Match, If-None-Match) does not hold',
  413: 'A value, body, batch or batch key over its limit',
  414: 'A key over its limit in the URL',
  415: 'The body is not JSON (send Content-Type: application/json)',
  503: 'No quorum reachable in time, this node is leaving, or over a limit (Retry-After may say when to try again)',
};

/** Each status answered with the one error shape (src/common/error-body.ts). */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: WHY[status] ?? STATUS_CODES[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodySchema) } } },
      }),
    ),
  );
}
