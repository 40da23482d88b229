import { ArgumentMetadata, BadRequestException, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';

/** The keys Nest's ValidationPipe deletes from what it validates. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Appended to a reserved key in the copy that is validated; NUL so that no ordinary property name can end in it. */
const RENAMED_SUFFIX = '\u0000';

/**
 * Nest's ValidationPipe deletes every "__proto__", "constructor" and
 * "prototype" key from the object it validates, in place and at any depth, so
 * that class-transformer cannot be led to change a prototype. Here they are
 * data: a stored value must come back as it was sent, whatever its keys. So
 * when a body holds one, this pipe validates a copy in which those keys are
 * renamed, and the handler gets the body as parsed (the pipe never transforms).
 * A renamed key where the DTO is checked is still an unknown property (400),
 * reported under its own name.
 */
export class JsonValidationPipe extends ValidationPipe {
  constructor(options: ValidationPipeOptions & { transform: false }) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A body nothing validates (the peer routes take `unknown`: large batches) is not walked at all.
    if (!this.toValidate({ ...metadata, metatype: this.expectedType ?? metadata.metatype })) return value;
    if (!hasReservedKey(value)) return super.transform(value, metadata);
    try {
      await super.transform(copyWithReservedKeysRenamed(value), metadata);
    } catch (error) {
      throw error instanceof BadRequestException ? withOriginalNames(error) : error;
    }
    return value;
  }
}

/** Iterative: the body's depth is limited (json-depth.ts), but this walk needs no stack either way. */
function hasReservedKey(root: unknown): boolean {
  const stack = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Object.keys(value).some((key) => RESERVED_KEYS.has(key))) return true;
    for (const item of Object.values(value)) stack.push(item); // not push(...): a long array would overflow the arguments
  }
  return false;
}

/** Recursion is bounded by the depth guard that runs before any pipe. */
function copyWithReservedKeysRenamed(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyWithReservedKeysRenamed);
  // Object.fromEntries defines properties, so even a "__proto__" entry would stay data.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      RESERVED_KEYS.has(key) ? key + RENAMED_SUFFIX : key,
      copyWithReservedKeysRenamed(item),
    ]),
  );
}

function withOriginalNames(error: BadRequestException): BadRequestException {
  const response = error.getResponse();
  const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const restore = (message: unknown) =>
    typeof message === 'string' ? message.replaceAll(RENAMED_SUFFIX, '') : message;
  return new BadRequestException(Array.isArray(raw) ? raw.map(restore) : restore(raw));
}
