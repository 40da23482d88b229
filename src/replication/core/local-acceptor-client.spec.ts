import { AcceptorStore } from './acceptor-store';
import { encodeBallot } from './ballot';
import { LocalAcceptorClient } from './local-acceptor-client';
import { MemoryAcceptorStore } from './testing/memory-acceptor-store';
import { protocolFakeTimers } from './testing/test-support';
import { CallTimeoutError } from '../../common/with-timeout';

describe('LocalAcceptorClient', () => {
  it('calls the store directly', async () => {
    const store = new MemoryAcceptorStore();
    const client = new LocalAcceptorClient('me', store);
    const ballot = encodeBallot({ counter: 1, boot: 0, nodeId: 'me' });
    expect(client.nodeId).toBe('me');
    expect(await client.prepare([{ key: 'k', ballot }], 100)).toMatchObject([{ key: 'k', ok: true }]);
    expect(
      await client.accept(
        [{ key: 'k', ballot, state: { present: true, value: 1, version: 1, lineage: [ballot] } }],
        100,
      ),
    ).toEqual([{ key: 'k', ok: true }]);
    expect(await client.peek(['k'], 100)).toMatchObject([{ key: 'k', accepted: ballot }]);
  });

  it('turns a stuck store into a timeout', async () => {
    jest.useFakeTimers(protocolFakeTimers());
    try {
      const stuck: AcceptorStore = {
        prepare: () => new Promise(() => undefined),
        accept: () => new Promise(() => undefined),
        peek: () => new Promise(() => undefined),
        list: () => new Promise(() => undefined),
        unsettledTombstones: () => new Promise(() => undefined),
        settle: () => new Promise(() => undefined),
        expiredBy: () => new Promise(() => undefined),
      };
      const outcome = expect(new LocalAcceptorClient('me', stuck).peek(['k'], 50)).rejects.toBeInstanceOf(
        CallTimeoutError,
      );
      await jest.advanceTimersByTimeAsync(50);
      await outcome;
    } finally {
      jest.useRealTimers();
    }
  });
});
