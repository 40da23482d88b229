import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

/** The longest TTL a key can be given: a year. */
export const MAX_TTL_SECONDS = 31_536_000;

const message = `ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`;

/**
 * An optional TTL in whole seconds. Left out, the key is permanent; `null` is
 * not a way to say so (it is a 400 like any other value that is not a TTL).
 */
export function IsTtlSeconds(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object, value) => value !== undefined),
    IsInt({ message }),
    Min(1, { message }),
    Max(MAX_TTL_SECONDS, { message }),
  );
}
