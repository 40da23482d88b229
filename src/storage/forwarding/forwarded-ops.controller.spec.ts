import { Logger } from '@nestjs/common';
import { PeerChannels } from '../../peer-transport/peer-channels';
import { KvExecutor } from '../kv-executor';
import { KvOperation } from '../kv-operation';
import { PreconditionFailedError } from '../kv.errors';
import { ForwardedOpsController } from './forwarded-ops.controller';

/** The executing side of forwarding, with a fake executor: each operation's outcome is its own. */
describe('ForwardedOpsController', () => {
  let logged: jest.SpyInstance;
  let debugged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    debugged = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const put = (key: string) => ({ type: 'put', key, value: 1, conditions: {} });

  function controllerWith(execute: (op: KvOperation) => Promise<unknown>): ForwardedOpsController {
    return new ForwardedOpsController({ execute } as unknown as KvExecutor, {} as PeerChannels);
  }

  it('answers a failure that is not a domain error as an unknown outcome of that operation alone', async () => {
    const controller = controllerWith(async (op) => {
      if (op.key === 'broken') throw new Error('connection terminated');
      if (op.key === 'stale') throw new PreconditionFailedError(op.key, 3);
      return { type: 'put', created: true, version: 1 };
    });

    const { results } = await controller.ops({
      ops: [put('a'), { ...put('broken'), requestId: 'req-b' }, put('stale')],
      timeoutMs: 1000,
    });

    expect(results).toEqual([
      { ok: true, type: 'put', created: true, version: 1 },
      { ok: false, error: { code: 'OUTCOME_UNKNOWN', message: expect.stringContaining('may have taken effect') } },
      { ok: false, error: expect.objectContaining({ code: 'PRECONDITION_FAILED', currentVersion: 3 }) },
    ]);
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ msg: expect.stringContaining('connection terminated'), requestId: 'req-b' }),
    );
  });

  it("logs each operation it ran under its client request's id, with its kind and outcome and never its key or value", async () => {
    const controller = controllerWith(async (op) => {
      if (op.key === 'stale') throw new PreconditionFailedError(op.key, 3);
      return { type: 'put', created: true, version: 1 };
    });
    await controller.ops({
      ops: [
        { ...put('secret-key'), requestId: 'req-1' },
        { ...put('stale'), requestId: 'bad id with spaces' },
      ],
      timeoutMs: 1000,
    });
    expect(debugged.mock.calls).toEqual([
      [expect.objectContaining({ requestId: 'req-1', op: 'put', outcome: 'ok' })],
      // An id a log line cannot take as it is is left out.
      [expect.objectContaining({ requestId: null, op: 'put', outcome: 'PRECONDITION_FAILED' })],
    ]);
    expect(JSON.stringify(debugged.mock.calls)).not.toMatch(/secret-key|"value"/);
  });
});
