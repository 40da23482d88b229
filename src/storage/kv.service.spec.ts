import { runInRequestContext } from '../common/request-context';
import { loadConfig } from '../config/app-config';
import { ReplicationError } from '../replication/core/errors';
import { PeerCallError } from '../peer-transport/peer-call-error';
import { PeerChannel } from '../peer-transport/peer-channel';
import { KeyRouter } from '../replication/routing/key-router';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';
import { ForwardingClient, NotDeliveredError } from './forwarding/forwarding-client';
import { KvExecutor } from './kv-executor';
import { KvOperation, KvResult } from './kv-operation';
import { KeyNotFoundError, PreconditionFailedError } from './kv.errors';
import { KvService } from './kv.service';

/** A mock that fails the test on any member it was not given: an unexpected call is a bug, not a no-op. */
function strict<T extends object>(members: Partial<Record<keyof T, unknown>>, name: string): T {
  return new Proxy(members, {
    get(target, property) {
      if (property in target) return target[property as keyof typeof target];
      if (property === 'then') return undefined; // not a promise
      throw new Error(`unexpected use of ${name}.${String(property)}`);
    },
  }) as T;
}

const written = (version: number, created: boolean): KvResult => ({ type: 'put', created, version });

/**
 * The routing decisions of KvService, with the executor, the router, the
 * peer health monitor and the forwarding client as strict mocks. n1 is this
 * node, n2 a peer.
 */
describe('KvService routing', () => {
  const config = loadConfig({
    NODE_ID: 'n1',
    PEERS: 'n2=http://n2:1',
    CLUSTER_SECRET: 'sixteen-characters!',
    REQUEST_TIMEOUT_MS: '1000',
  });

  function setUp(
    preferred: 'n1' | 'n2',
    local: (op: KvOperation) => Promise<KvResult>,
    forward?: (op: KvOperation) => Promise<unknown>,
  ) {
    const execute = jest.fn(local);
    const forwarded = jest.fn(forward ?? (async () => Promise.reject(new Error('not expected'))));
    const reportFailure = jest.fn();
    const executor = strict<KvExecutor>({ execute }, 'executor');
    const router = strict<KeyRouter>({ preferredNode: () => preferred }, 'router');
    const health = strict<PeerHealthMonitor>({ reportFailure }, 'health');
    const client = strict<ForwardingClient>(
      { peer: { id: 'n2', url: 'http://n2:1' }, execute: forwarded },
      'forwarding client',
    );
    const service = new KvService(config, executor, router, health, [client]);
    const localTypes = () =>
      execute.mock.calls.map(([op]) => `${op.type}${op.type === 'read' ? `:${op.consistency}` : ''}`);
    return { service, execute, forwarded, reportFailure, localTypes };
  }

  it("runs a write here when this node is its key's preferred proposer, never asking the peer", async () => {
    const { service, forwarded, localTypes } = setUp('n1', async () => written(1, true));
    expect(await service.put('k', { a: 1 })).toEqual({
      entry: { key: 'k', value: { a: 1 }, version: 1 },
      created: true,
    });
    expect(localTypes()).toEqual(['put']);
    expect(forwarded).not.toHaveBeenCalled();
  });

  it("sends a write to the preferred peer and answers with the peer's result, running nothing here", async () => {
    const { service, forwarded, localTypes } = setUp(
      'n2',
      async () => written(9, false),
      async () => ({
        ok: true,
        result: written(4, false),
      }),
    );
    expect(await service.put('k', 'v', { ifMatch: { any: true } })).toEqual({
      entry: { key: 'k', value: 'v', version: 4 },
      created: false,
    });
    expect(forwarded).toHaveBeenCalledWith(
      { type: 'put', key: 'k', value: 'v', conditions: { ifMatch: { any: true } } },
      expect.any(Number),
      undefined, // no client request: background work
    );
    expect(localTypes()).toEqual([]);
  });

  it('sends the id of the client request it serves with a forwarded operation', async () => {
    const { service, forwarded } = setUp(
      'n2',
      async () => written(9, false),
      async () => ({ ok: true, result: written(1, true) }),
    );
    await runInRequestContext({ requestId: 'req-7' }, () => service.delete('k'));
    expect(forwarded).toHaveBeenCalledWith({ type: 'delete', key: 'k', conditions: {} }, expect.any(Number), 'req-7');
  });

  it('runs a write here when the peer refused it unread (NotDeliveredError), and reports the peer', async () => {
    const refusal = new NotDeliveredError('peer n2: connection refused');
    const { service, localTypes, reportFailure } = setUp(
      'n2',
      async () => ({ type: 'delete' }),
      async () => Promise.reject(refusal),
    );
    await service.delete('k');
    expect(localTypes()).toEqual(['delete']);
    expect(reportFailure).toHaveBeenCalledWith('n2', refusal);
  });

  it.each([
    ['a timeout', new PeerCallError('no reply in time', 'timeout')],
    ['a broken connection', new PeerCallError('socket hang up', 'stale')],
    ['a malformed reply', new Error('peer n2: malformed result for a put')],
  ])(
    "after %s, a write's outcome is unknown (503, may have taken effect) and it is not run again here",
    async (_what, failure) => {
      for (const write of [(s: KvService) => s.put('k', 1), (s: KvService) => s.delete('k')]) {
        const { service, localTypes, reportFailure } = setUp(
          'n2',
          async () => written(1, true),
          async () => Promise.reject(failure),
        );
        const error = await write(service).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ReplicationError);
        expect(error).toMatchObject({ code: 'OUTCOME_UNKNOWN', mayHaveTakenEffect: true, unreachable: ['n2'] });
        expect(localTypes()).toEqual([]);
        expect(reportFailure).toHaveBeenCalledWith('n2', failure);
      }
    },
  );

  it("passes on a domain error the peer's proposer answered with, without blaming the peer or running it here", async () => {
    const failed = new PreconditionFailedError('k', 3);
    const { service, localTypes, reportFailure } = setUp(
      'n2',
      async () => written(1, true),
      async () => ({ ok: false, error: failed }),
    );
    await expect(service.put('k', 1, { ifMatch: { any: false, strong: [2], weak: [] } })).rejects.toBe(failed);
    expect(localTypes()).toEqual([]);
    expect(reportFailure).not.toHaveBeenCalled();
  });

  describe('reads', () => {
    it('are answered here when the replicas agree at once, whoever is preferred', async () => {
      const { service, forwarded, localTypes } = setUp('n2', async () => ({ type: 'read', value: 'v', version: 2 }));
      expect(await service.get('k')).toEqual({ key: 'k', value: 'v', version: 2 });
      expect(localTypes()).toEqual(['read:if-agreed']);
      expect(forwarded).not.toHaveBeenCalled();
    });

    it('that find the replicas in disagreement run their full round on the preferred peer', async () => {
      const { service, forwarded, localTypes } = setUp(
        'n2',
        async () => ({ type: 'unsettled' }),
        async () => ({
          ok: true,
          result: { type: 'read', value: 'new', version: 3 },
        }),
      );
      expect(await service.get('k')).toEqual({ key: 'k', value: 'new', version: 3 });
      expect(localTypes()).toEqual(['read:if-agreed']);
      expect(forwarded).toHaveBeenCalledWith(
        { type: 'read', key: 'k', consistency: 'linearizable' },
        expect.any(Number),
        undefined,
      );
    });

    it('that find disagreement run their full round here when this node is preferred', async () => {
      const { service, localTypes } = setUp('n1', async (op) =>
        op.type === 'read' && op.consistency === 'if-agreed'
          ? { type: 'unsettled' }
          : { type: 'read', value: 'x', version: 1 },
      );
      expect(await service.get('k')).toEqual({ key: 'k', value: 'x', version: 1 });
      expect(localTypes()).toEqual(['read:if-agreed', 'read:linearizable']);
    });

    it('fail as unreachable (nothing was written) when the preferred peer does not answer', async () => {
      const failure = new PeerCallError('no reply in time', 'timeout');
      const { service, localTypes } = setUp(
        'n2',
        async () => ({ type: 'unsettled' }),
        async () => Promise.reject(failure),
      );
      await expect(service.get('k')).rejects.toMatchObject({
        code: 'QUORUM_UNREACHABLE',
        mayHaveTakenEffect: false,
        unreachable: ['n2'],
      });
      expect(localTypes()).toEqual(['read:if-agreed']);
    });

    it('run here when the preferred peer refused the full round unread', async () => {
      const { service, localTypes } = setUp(
        'n2',
        async (op) =>
          op.type === 'read' && op.consistency === 'if-agreed'
            ? { type: 'unsettled' }
            : { type: 'read', value: 1, version: 1 },
        async () => Promise.reject(new NotDeliveredError('refused')),
      );
      expect((await service.get('k')).value).toBe(1);
      expect(localTypes()).toEqual(['read:if-agreed', 'read:linearizable']);
    });

    it("with consistency=local read this node's copy only", async () => {
      const { service, localTypes } = setUp('n2', async () => Promise.reject(new KeyNotFoundError('k')));
      await expect(service.get('k', 'local')).rejects.toBeInstanceOf(KeyNotFoundError);
      expect(localTypes()).toEqual(['read:local']);
    });
  });
});

/** ForwardingClient over a fake channel: how it classifies what the peer did. */
describe('ForwardingClient', () => {
  const peer = { id: 'n2', url: 'http://n2:1' };
  const client = (reply: (body: { ops: unknown[] }) => Promise<unknown>) =>
    new ForwardingClient(
      peer,
      strict<PeerChannel>({ call: (_method: string, body: { ops: unknown[] }) => reply(body) }, 'channel'),
    );
  const put = { type: 'put', key: 'k', value: 'v', conditions: {} } as const;

  it('turns a refused call into NotDeliveredError and passes any other failure on', async () => {
    await expect(
      client(async () => Promise.reject(new PeerCallError('ECONNREFUSED', 'refused'))).execute(put, 500),
    ).rejects.toBeInstanceOf(NotDeliveredError);
    const timeout = new PeerCallError('no reply', 'timeout');
    await expect(client(async () => Promise.reject(timeout)).execute(put, 500)).rejects.toBe(timeout);
  });

  it('checks a result against the operation it answers', async () => {
    expect(
      await client(async () => ({ results: [{ ok: true, type: 'put', created: true, version: 1 }] })).execute(put, 500),
    ).toEqual({
      ok: true,
      result: { type: 'put', created: true, version: 1 },
    });
    await expect(
      client(async () => ({ results: [{ ok: true, type: 'put', created: true }] })).execute(put, 500),
    ).rejects.toThrow(/malformed/);
    await expect(client(async () => ({ results: [] })).execute(put, 500)).rejects.toThrow(/malformed/);
  });

  it('rebuilds a domain error the peer answered with', async () => {
    const answer = await client(async () => ({
      results: [{ ok: false, error: { code: 'PRECONDITION_FAILED', message: 'x', currentVersion: 7 } }],
    })).execute(put, 500);
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.error).toEqual(new PreconditionFailedError('k', 7));
  });
});
