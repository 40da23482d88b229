import { Writable } from 'node:stream';
import { createRootLogger, LoggerSettings } from './root-logger';
import { NestPinoLogger } from './nest-pino-logger';

/** A real pino logger writing into an array: each entry one parsed JSON line. */
function capture(settings: Partial<LoggerSettings> = {}): {
  nest: NestPinoLogger;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createRootLogger({ nodeId: 'n7', logLevel: 'info', logFormat: 'json', ...settings }, sink);
  return { nest: new NestPinoLogger(logger), lines };
}

describe('NestPinoLogger', () => {
  it("writes Nest's calls as JSON lines with level, time, node id and context", () => {
    const { nest, lines } = capture();
    nest.log('caught up (3 keys)', 'CatchUp');
    nest.warn('peer n2 unreachable', 'PeerHealth');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', nodeId: 'n7', context: 'CatchUp', msg: 'caught up (3 keys)' }),
      expect.objectContaining({ level: 'warn', nodeId: 'n7', context: 'PeerHealth', msg: 'peer n2 unreachable' }),
    ]);
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
  });

  it("keeps an error's stack apart from its context, with or without one", () => {
    const { nest, lines } = capture();
    const stack = 'Error: boom\n    at somewhere (file.ts:1:1)';
    nest.error('it failed', stack, 'Errors');
    nest.error('it failed too', stack);
    nest.error('no stack', undefined, 'Errors');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'it failed', stack, context: 'Errors' }),
      expect.objectContaining({ level: 'error', msg: 'it failed too', stack }),
      expect.objectContaining({ level: 'error', msg: 'no stack', context: 'Errors' }),
    ]);
    expect(lines[1]).not.toHaveProperty('context');
    expect(lines[2]).not.toHaveProperty('stack');
  });

  it("takes an object message's fields as the line's fields and its msg as the message", () => {
    const { nest, lines } = capture({ logLevel: 'debug' });
    nest.debug({ msg: 'ran a forwarded operation', requestId: 'r1', op: 'put' }, 'ForwardedOps');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'debug',
        msg: 'ran a forwarded operation',
        requestId: 'r1',
        op: 'put',
        context: 'ForwardedOps',
      }),
    ]);
  });

  it("writes only from LOG_LEVEL up; Nest's log and verbose are info and trace", () => {
    const { nest, lines } = capture({ logLevel: 'warn' });
    nest.log('not shown');
    nest.debug('not shown');
    nest.error('shown');
    expect(lines.map((line) => line.msg)).toEqual(['shown']);
    const verbose = capture({ logLevel: 'verbose' });
    verbose.nest.verbose('fine detail');
    expect(verbose.lines).toEqual([expect.objectContaining({ level: 'trace', msg: 'fine detail' })]);
    const log = capture({ logLevel: 'log' });
    log.nest.log('shown at log');
    log.nest.debug('not shown');
    expect(log.lines.map((line) => line.msg)).toEqual(['shown at log']);
  });

  it('never writes a value or a secret, even when given one', () => {
    const { nest, lines } = capture();
    nest.log({ msg: 'oops', value: 'hunter2', peer: { authorization: 'Bearer hunter2' } });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines[0]).toEqual(expect.objectContaining({ value: '[redacted]' }));
  });
});
