import { Logger } from '@nestjs/common';
import { PeerChannels } from '../../peer-transport/peer-channels';
import { KvExecutor } from '../kv-executor';
import { KvOperation } from '../kv-operation';
import { PreconditionFailedError } from '../kv.errors';
import { ForwardedOpsController } from './forwarded-ops.controller';

/** The executing side of forwarding, with a fake executor: each operation's outcome is its own. */
describe('ForwardedOpsController', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
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

    const { results } = await controller.ops({ ops: [put('a'), put('broken'), put('stale')], timeoutMs: 1000 });

    expect(results).toEqual([
      { ok: true, type: 'put', created: true, version: 1 },
      { ok: false, error: { code: 'OUTCOME_UNKNOWN', message: expect.stringContaining('may have taken effect') } },
      { ok: false, error: expect.objectContaining({ code: 'PRECONDITION_FAILED', currentVersion: 3 }) },
    ]);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('connection terminated'));
  });
});
