import { BatchingAcceptorClient } from './batching-acceptor-client';
import { encodeBallot } from './ballot';
import { ProtocolViolationError } from '../../common/protocol-violation';
import { LocalAcceptorClient } from './local-acceptor-client';
import { MemoryAcceptorStore } from './testing/memory-acceptor-store';
import { PrepareReply, PrepareRequest } from './messages';
import { AcceptorClient } from './transport';
import { protocolFakeTimers } from './testing/test-support';
import { CallTimeoutError } from '../../common/with-timeout';

const ballot = encodeBallot({ counter: 1, boot: 0, nodeId: 'p' });

/** A client that records each call it receives. */
function recording(inner: AcceptorClient): { client: AcceptorClient; prepareCalls: string[][] } {
  const prepareCalls: string[][] = [];
  const client: AcceptorClient = {
    nodeId: inner.nodeId,
    prepare: (requests, timeoutMs) => {
      prepareCalls.push(requests.map((r) => r.key));
      return inner.prepare(requests, timeoutMs);
    },
    accept: (requests, timeoutMs) => inner.accept(requests, timeoutMs),
    peek: (keys, timeoutMs) => inner.peek(keys, timeoutMs),
    list: (range, limit, timeoutMs) => inner.list(range, limit, timeoutMs),
  };
  return { client, prepareCalls };
}

describe('BatchingAcceptorClient', () => {
  it('merges calls made in the same tick into one and splits the replies back', async () => {
    const { client, prepareCalls } = recording(new LocalAcceptorClient('a', new MemoryAcceptorStore()));
    const batching = new BatchingAcceptorClient(client);
    const replies = await Promise.all(['k1', 'k2', 'k3'].map((key) => batching.prepare([{ key, ballot }], 1000)));
    expect(prepareCalls).toEqual([['k1', 'k2', 'k3']]);
    expect(replies.map((r) => r.map((reply) => reply.key))).toEqual([['k1'], ['k2'], ['k3']]);
    expect(replies.every(([reply]) => reply?.ok === true)).toBe(true);
  });

  it('sends a key that appears twice in separate calls', async () => {
    const { client, prepareCalls } = recording(new LocalAcceptorClient('a', new MemoryAcceptorStore()));
    const batching = new BatchingAcceptorClient(client);
    const later = encodeBallot({ counter: 2, boot: 0, nodeId: 'p' });
    const [first, second, other] = await Promise.all([
      batching.prepare([{ key: 'k', ballot }], 1000),
      batching.prepare([{ key: 'k', ballot: later }], 1000),
      batching.prepare([{ key: 'j', ballot }], 1000),
    ]);
    expect(prepareCalls).toEqual([['k'], ['k', 'j']]);
    expect([first[0]?.ok, second[0]?.ok, other[0]?.ok]).toEqual([true, true, true]);
  });

  it('respects the maximum batch size', async () => {
    const { client, prepareCalls } = recording(new LocalAcceptorClient('a', new MemoryAcceptorStore()));
    const batching = new BatchingAcceptorClient(client, { maxBatchSize: 2 });
    await Promise.all(['a', 'b', 'c'].map((key) => batching.prepare([{ key, ballot }], 1000)));
    expect(prepareCalls).toEqual([['a', 'b'], ['c']]);
  });

  it('fails every caller of a failed call, and only them', async () => {
    let calls = 0;
    const flaky: AcceptorClient = {
      nodeId: 'a',
      prepare: (requests: readonly PrepareRequest[]): Promise<PrepareReply[]> =>
        ++calls === 1
          ? Promise.reject(new Error('connection reset'))
          : Promise.resolve(requests.map((r) => ({ key: r.key, ok: false as const, seen: '' }))),
      accept: () => Promise.reject(new Error('unused')),
      peek: () => Promise.reject(new Error('unused')),
      list: () => Promise.reject(new Error('unused')),
    };
    const batching = new BatchingAcceptorClient(flaky);
    const results = await Promise.allSettled([
      batching.prepare([{ key: 'x', ballot }], 1000),
      batching.prepare([{ key: 'y', ballot }], 1000),
      batching.prepare([{ key: 'x', ballot }], 1000), // clashes: starts the second call
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('rejects replies that do not match the requests', async () => {
    const liar: AcceptorClient = {
      nodeId: 'a',
      prepare: () => Promise.resolve([{ key: 'other', ok: false as const, seen: '' }]),
      accept: () => Promise.reject(new Error('unused')),
      peek: () => Promise.reject(new Error('unused')),
      list: () => Promise.reject(new Error('unused')),
    };
    await expect(new BatchingAcceptorClient(liar).prepare([{ key: 'k', ballot }], 1000)).rejects.toBeInstanceOf(
      ProtocolViolationError,
    );
  });

  it("keeps each caller's own timeout", async () => {
    jest.useFakeTimers(protocolFakeTimers());
    try {
      const silent: AcceptorClient = {
        nodeId: 'a',
        prepare: () => new Promise<PrepareReply[]>(() => undefined),
        accept: () => Promise.reject(new Error('unused')),
        peek: () => Promise.reject(new Error('unused')),
        list: () => Promise.reject(new Error('unused')),
      };
      const batching = new BatchingAcceptorClient(silent);
      const short = batching.prepare([{ key: 'a', ballot }], 10);
      const long = batching.prepare([{ key: 'b', ballot }], 1000);
      const shortOutcome = expect(short).rejects.toBeInstanceOf(CallTimeoutError);
      let longSettled = false;
      long.catch(() => (longSettled = true));
      await jest.advanceTimersByTimeAsync(20);
      await shortOutcome;
      expect(longSettled).toBe(false);
      await jest.advanceTimersByTimeAsync(1000);
      expect(longSettled).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
