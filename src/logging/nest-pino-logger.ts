import { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/** A stack trace as Nest passes it to error(): a string whose later lines start with "at". */
const STACK = /\n\s+at /;

/**
 * Nest's LoggerService on the node's pino logger, so that Nest's own lines and
 * every `new Logger(context)` in the code base come out as the same JSON lines.
 * Nest calls `log(message, ...params, context)`, and `error(message, stack?,
 * context)`. A message may be an object: its fields become the line's fields
 * (its `msg`, if any, the message), which is how code logs structured data
 * through Nest's Logger.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = params.filter((param) => param !== undefined);
    const last = rest.at(-1);
    // The context comes last; a lone string after an error's message may be its stack instead.
    if (typeof last === 'string' && !STACK.test(last)) {
      fields.context = last;
      rest.pop();
    }
    for (const param of rest) {
      if (typeof param === 'string') fields.stack = param;
      else if (param instanceof Error) fields.err = param;
    }
    let text: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...data } = message as Record<string, unknown>;
      Object.assign(fields, data);
      text = typeof msg === 'string' ? msg : undefined;
    } else {
      text = String(message);
    }
    this.logger[level](fields, text);
  }
}
