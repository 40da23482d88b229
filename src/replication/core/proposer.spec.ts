import { BallotClock, encodeBallot } from './ballot';
import { ChangeFn } from './change';
import { ReplicationError, isReplicationError } from './errors';
import { InMemoryNetwork } from './testing/in-memory-network';
import { Proposer } from './proposer';
import { ABSENT, RegisterState } from './register';
import {
  counterOf,
  fakeTimeRunner,
  increment,
  makeNetwork,
  makeProposer,
  nodeIds,
  protocolFakeTimers,
  put,
} from './testing/test-support';
import { AcceptorClient } from './transport';

const LONG = 10_000;
const deadline = (ms = LONG): number => Date.now() + ms;

/** The acceptor applies every accept, but its reply never arrives. */
function losingAcceptReplies(client: AcceptorClient): AcceptorClient {
  return {
    nodeId: client.nodeId,
    prepare: (requests, timeoutMs) => client.prepare(requests, timeoutMs),
    accept: (requests, timeoutMs) =>
      client.accept(requests, timeoutMs).then(() => Promise.reject(new Error('reply lost'))),
    peek: (keys, timeoutMs) => client.peek(keys, timeoutMs),
    list: (range, limit, timeoutMs) => client.list(range, limit, timeoutMs),
  };
}

/** As losingAcceptReplies, and no peek is answered either: nothing tells what the accepts did. */
function losingAcceptAndPeekReplies(client: AcceptorClient): AcceptorClient {
  return { ...losingAcceptReplies(client), peek: () => Promise.reject(new Error('peek lost')) };
}

async function expectReplicationError(promise: Promise<unknown>): Promise<ReplicationError> {
  const outcome = await settle(promise);
  if (outcome.status === 'fulfilled')
    throw new Error(`expected a ReplicationError, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.reason).toBeInstanceOf(ReplicationError);
  return outcome.reason as ReplicationError;
}

function acceptedEverywhere(network: InMemoryNetwork, key: string): RegisterState[] {
  return network.nodeIds.map((id) => network.memoryStore(id).inspect(key).state);
}

const { run, settle } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

describe('Proposer', () => {
  describe('basic rounds', () => {
    it('works with a single acceptor (a quorum of one)', async () => {
      const network = makeNetwork(1);
      const proposer = makeProposer(network, 'n1');
      expect(proposer.quorumSize).toBe(1);
      expect(await run(proposer.change('k', increment, deadline()))).toBe(1);
      expect(await run(proposer.change('k', increment, deadline()))).toBe(2);
      expect(counterOf(await run(proposer.read('k', deadline())))).toBe(2);
    });

    it("stamps each new version's lineage with the ballot it was sent at; a round that changes nothing keeps it", async () => {
      const network = makeNetwork(3);
      const sentAt: string[] = [];
      const recordingAccepts = (client: AcceptorClient): AcceptorClient => ({
        nodeId: client.nodeId,
        prepare: (requests, timeoutMs) => client.prepare(requests, timeoutMs),
        accept: (requests, timeoutMs) => (sentAt.push(requests[0]!.ballot), client.accept(requests, timeoutMs)),
        peek: (keys, timeoutMs) => client.peek(keys, timeoutMs),
        list: (range, limit, timeoutMs) => client.list(range, limit, timeoutMs),
      });
      const proposer = makeProposer(network, 'n1', { lineageLimit: 3, wrap: recordingAccepts });
      await run(proposer.change('k', put('a'), deadline())); // a full round: its prepare ballot
      await run(proposer.change('k', put('b'), deadline())); // one round trip: the cached next ballot
      const [first, second] = [...new Set(sentAt)];
      expect(acceptedEverywhere(network, 'k').map((state) => state.lineage)).toEqual(
        Array(3).fill([second, first, '']),
      );
      // A failed precondition writes back what it found, lineage and all.
      await run(proposer.change('k', (current) => ({ state: current, result: 'unchanged' }), deadline()));
      expect(acceptedEverywhere(network, 'k').map((state) => state.lineage)).toEqual(
        Array(3).fill([second, first, '']),
      );
      // Newest first, cut to the limit: the origin's id goes first.
      await run(proposer.change('k', put('c'), deadline()));
      const third = [...new Set(sentAt)].pop();
      expect(acceptedEverywhere(network, 'k').map((state) => state.lineage)).toEqual(
        Array(3).fill([third, second, first]),
      );
    });

    it.each([3, 5])('replicates to a majority of %i acceptors, visible from another proposer', async (count) => {
      const network = makeNetwork(count);
      const writer = makeProposer(network, 'n1');
      const reader = makeProposer(network, `n${count}`);
      expect(writer.quorumSize).toBe(Math.floor(count / 2) + 1);
      const written = await run(writer.change('k', put('hello'), deadline()));
      expect(written).toEqual({ present: true, value: 'hello', version: 1 });
      expect(await run(reader.read('k', deadline()))).toMatchObject(written);
      expect(await run(reader.change('k', put('again'), deadline()))).toMatchObject({ value: 'again', version: 2 });
    });

    it('reads a key never written as absent', async () => {
      const network = makeNetwork(3);
      expect(await run(makeProposer(network, 'n1').read('nothing', deadline()))).toEqual(ABSENT);
    });

    it.each([
      [3, ['n3']],
      [5, ['n4', 'n5']],
    ])('keeps working with a minority of %i down', async (count, down) => {
      const network = makeNetwork(count);
      down.forEach((id) => network.crash(id));
      const proposer = makeProposer(network, 'n1');
      for (let i = 1; i <= 3; i++) expect(await run(proposer.change('k', increment, deadline()))).toBe(i);
      expect(counterOf(await run(makeProposer(network, 'n2').read('k', deadline())))).toBe(3);
    });

    it('fails fast with QUORUM_UNREACHABLE when a majority is down, having stored nothing', async () => {
      const network = makeNetwork(3);
      network.crash('n2');
      network.crash('n3');
      const proposer = makeProposer(network, 'n1');
      const started = Date.now();
      const error = await expectReplicationError(proposer.change('k', increment, deadline()));
      expect(error.code).toBe('QUORUM_UNREACHABLE');
      expect(error.mayHaveTakenEffect).toBe(false);
      expect(error.unreachable).toEqual(['n2', 'n3']);
      expect(error.message).toContain('n2, n3');
      expect(Date.now() - started).toBeLessThan(LONG / 10);
      expect(network.countSent({ kind: 'accept' })).toBe(0);
    });

    it('fails with QUORUM_UNREACHABLE when the deadline passes during prepares, before any accept', async () => {
      const network = makeNetwork(3);
      network.partition(['n1'], ['n2', 'n3']); // silence: calls time out rather than being refused
      const proposer = makeProposer(network, 'n1', { unreachableRetries: 1000 });
      const error = await expectReplicationError(proposer.change('k', increment, deadline(500)));
      expect(error.code).toBe('QUORUM_UNREACHABLE');
      expect(network.countSent({ kind: 'accept' })).toBe(0);
    });

    it('rejects a change whose deadline has already passed without sending anything', async () => {
      const network = makeNetwork(3);
      const error = await expectReplicationError(makeProposer(network, 'n1').change('k', increment, Date.now()));
      expect(error.code).toBe('QUORUM_UNREACHABLE');
      expect(network.sent).toHaveLength(0);
    });
  });

  describe('uncertain outcomes', () => {
    it('settles an accept whose replies were all lost by looking: a majority holds it, so it is chosen', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: losingAcceptReplies });
      expect(await run(proposer.change('k', increment, deadline()))).toBe(1);
      expect(network.countSent({ kind: 'prepare' })).toBe(3); // no resolution round: the peek sufficed
      expect(network.countSent({ kind: 'accept' })).toBe(3);
    });

    it('answers OUTCOME_UNKNOWN when accept replies are lost and nothing else answers, although the change was stored', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: losingAcceptAndPeekReplies });
      const error = await expectReplicationError(proposer.change('k', increment, deadline()));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      expect(error.mayHaveTakenEffect).toBe(true);
      expect(error.unreachable).toEqual(['n1', 'n2', 'n3']);
      // It did take effect, which is exactly why "unknown" is the honest answer.
      expect(counterOf(await run(makeProposer(network, 'n2').read('k', deadline())))).toBe(1);
    });

    it('answers OUTCOME_UNKNOWN when a cached (one-round-trip) accept loses its replies', async () => {
      const network = makeNetwork(3);
      let losing = false;
      const wrap = (client: AcceptorClient): AcceptorClient => ({
        ...client,
        nodeId: client.nodeId,
        accept: (requests, timeoutMs) =>
          (losing ? losingAcceptAndPeekReplies(client) : client).accept(requests, timeoutMs),
        prepare: (requests, timeoutMs) => client.prepare(requests, timeoutMs),
        peek: (keys, timeoutMs) => (losing ? losingAcceptAndPeekReplies(client) : client).peek(keys, timeoutMs),
      });
      const proposer = makeProposer(network, 'n1', { wrap });
      await run(proposer.change('k', increment, deadline()));
      losing = true;
      const error = await expectReplicationError(proposer.change('k', increment, deadline()));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      // The single-use cache is gone: the next change prepares again.
      losing = false;
      const prepares = network.countSent({ kind: 'prepare' });
      expect(await run(proposer.change('k', increment, deadline()))).toBe(3);
      expect(network.countSent({ kind: 'prepare' })).toBe(prepares + 3);
    });

    it('answers OUTCOME_UNKNOWN when the deadline passes with accepts in flight', async () => {
      const network = makeNetwork(3, 7, { minDelayMs: 40, maxDelayMs: 40 });
      const proposer = makeProposer(network, 'n1', { callTimeoutMs: 1000 });
      // Prepare takes 80 ms there and back; the accept cannot come back before 100 ms.
      const error = await expectReplicationError(proposer.change('k', increment, deadline(100)));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
    });

    it('resolves a cached accept that a majority rejected and a minority stored, then re-runs it once', async () => {
      const network = makeNetwork(3);
      const cached = makeProposer(network, 'n1');
      await run(cached.change('k', put('first'), deadline()));
      // A proposer on n2, cut off from n1, writes meanwhile: n2 and n3 now promise past the cached ballot.
      network.partition(['n1'], ['n2']);
      await run(makeProposer(network, 'n2').change('k', put('rival'), deadline()));
      network.heal();

      // n1 stores 'late' (version 2), n2 and n3 reject it. Resolution finds the rival's state, a different
      // state at the same version, so the rival's round cannot have been built on ours: 'late' is re-run.
      expect(await run(cached.change('k', put('late'), deadline()))).toEqual({
        present: true,
        value: 'late',
        version: 3,
      });
      // The rival write was kept (version 2), and 'late' was applied once, on top of it.
      expect(await run(makeProposer(network, 'n3').read('k', deadline()))).toMatchObject({
        present: true,
        value: 'late',
        version: 3,
      });
    });
  });

  describe('rejections that prove nothing was stored', () => {
    it('falls back to a full round when every acceptor rejects a cached accept', async () => {
      const network = makeNetwork(3);
      const p1 = makeProposer(network, 'n1');
      const p2 = makeProposer(network, 'n2');
      expect(await run(p1.change('k', increment, deadline()))).toBe(1); // p1 now holds a cached ballot
      expect(await run(p2.change('k', increment, deadline()))).toBe(2); // p2's prepare outbids it everywhere
      const prepares = network.countSent({ kind: 'prepare', from: 'n1' });
      expect(await run(p1.change('k', increment, deadline()))).toBe(3);
      expect(network.countSent({ kind: 'prepare', from: 'n1' })).toBe(prepares + 3);
    });

    it('retries after prepare conflicts until it wins', async () => {
      const network = makeNetwork(3);
      const highClock = new BallotClock('z', 0);
      for (let i = 0; i < 5; i++) highClock.next();
      // Someone promised a high ballot everywhere; our first prepare conflicts and we learn the ballot.
      await run(
        Promise.all(network.nodeIds.map((id) => network.store(id).prepare([{ key: 'k', ballot: highClock.next() }]))),
      );
      const proposer = makeProposer(network, 'n1');
      expect(await run(proposer.change('k', increment, deadline()))).toBe(1);
      expect(network.countSent({ kind: 'prepare' })).toBe(6);
    });
  });

  describe('change functions', () => {
    it('runs the accept phase even when the change reports a failure and keeps the state', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      await run(proposer.change('k', put('v'), deadline()));
      const accepts = network.countSent({ kind: 'accept' });
      const failedCas: ChangeFn<string> = (current) => ({ state: current, result: 'precondition failed' });
      expect(await run(proposer.change('k', failedCas, deadline()))).toBe('precondition failed');
      expect(network.countSent({ kind: 'accept' })).toBe(accepts + 3);
      expect(acceptedEverywhere(network, 'k').map((s) => s.value)).toEqual(['v', 'v', 'v']);
    });

    it('rejects with the error of a throwing change and sends no accept', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      const bug = new Error('bug in change');
      await expect(
        run(
          proposer.change(
            'k',
            () => {
              throw bug;
            },
            deadline(),
          ),
        ),
      ).rejects.toBe(bug);
      expect(network.countSent({ kind: 'accept' })).toBe(0);
    });
  });

  describe('one round trip', () => {
    it('sends no prepare for the second change on the same proposer', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      await run(proposer.change('k', increment, deadline()));
      expect(network.countSent({ kind: 'prepare' })).toBe(3);
      expect(network.countSent({ kind: 'accept' })).toBe(3);
      expect(await run(proposer.change('k', increment, deadline()))).toBe(2);
      expect(await run(proposer.change('k', increment, deadline()))).toBe(3);
      expect(network.countSent({ kind: 'prepare' })).toBe(3);
      expect(network.countSent({ kind: 'accept' })).toBe(9);
    });

    it('forgets the least recently used keys beyond the cache size', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { nextBallotCacheSize: 1 });
      await run(proposer.change('a', increment, deadline()));
      await run(proposer.change('b', increment, deadline()));
      const prepares = network.countSent({ kind: 'prepare' });
      await run(proposer.change('b', increment, deadline())); // still cached
      expect(network.countSent({ kind: 'prepare' })).toBe(prepares);
      await run(proposer.change('a', increment, deadline())); // evicted
      expect(network.countSent({ kind: 'prepare' })).toBe(prepares + 3);
    });
  });

  describe('combining and batching', () => {
    it('runs concurrent changes to one key as one round, each with its own result', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      const results = await run(
        Promise.all(Array.from({ length: 10 }, () => proposer.change('k', increment, deadline()))),
      );
      expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(network.countSent({ kind: 'prepare' })).toBe(3);
      expect(network.countSent({ kind: 'accept' })).toBe(3);
    });

    it('queues changes that arrive during a round and combines them into the next one', async () => {
      const network = makeNetwork(3, 1, { minDelayMs: 5, maxDelayMs: 5 });
      const proposer = makeProposer(network, 'n1');
      const first = proposer.change('k', increment, deadline());
      await jest.advanceTimersByTimeAsync(3); // the first round is in flight
      const later = [proposer.change('k', increment, deadline()), proposer.change('k', increment, deadline())];
      expect(await run(Promise.all([first, ...later]))).toEqual([1, 2, 3]);
      expect(network.countSent({ kind: 'prepare' })).toBe(3); // the second round used the cached ballot
      expect(network.countSent({ kind: 'accept' })).toBe(6);
    });

    it('isolates a throwing change from the others in its round', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      const bug = new Error('bug');
      const outcomes = await run(
        Promise.allSettled([
          proposer.change('k', increment, deadline()),
          proposer.change(
            'k',
            () => {
              throw bug;
            },
            deadline(),
          ),
          proposer.change('k', increment, deadline()),
        ]),
      );
      expect(outcomes).toEqual([
        { status: 'fulfilled', value: 1 },
        { status: 'rejected', reason: bug },
        { status: 'fulfilled', value: 2 },
      ]);
    });

    it('gives every combined caller the error when the round fails', async () => {
      const network = makeNetwork(3);
      network.crash('n2');
      network.crash('n3');
      const proposer = makeProposer(network, 'n1');
      const outcomes = await run(Promise.allSettled([1, 2, 3].map(() => proposer.change('k', increment, deadline()))));
      expect(
        outcomes.map((o) => o.status === 'rejected' && isReplicationError(o.reason, 'QUORUM_UNREACHABLE')),
      ).toEqual([true, true, true]);
    });

    it('sends rounds for many keys started in the same tick as one call per acceptor', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1');
      const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
      const results = await run(Promise.all(keys.map((key) => proposer.change(key, increment, deadline()))));
      expect(results).toEqual(keys.map(() => 1));
      expect(network.countSent({ kind: 'prepare' })).toBe(3);
      expect(network.countSent({ kind: 'accept' })).toBe(3);
      expect(network.sent.every((call) => call.keys.length === keys.length)).toBe(true);
    });

    it("keeps each key's outcome independent within a batch", async () => {
      const network = makeNetwork(3);
      const highClock = new BallotClock('z', 0);
      for (let i = 0; i < 100; i++) highClock.next();
      const busyBallot = highClock.next();
      // "busy" is promised to someone else everywhere: it conflicts, its batch-mates do not.
      await run(
        Promise.all(network.nodeIds.map((id) => network.store(id).prepare([{ key: 'busy', ballot: busyBallot }]))),
      );
      const proposer = makeProposer(network, 'n1');
      const results = await run(
        Promise.all(['a', 'busy', 'b'].map((key) => proposer.change(key, increment, deadline()))),
      );
      expect(results).toEqual([1, 1, 1]);
      expect(network.sent[0]?.keys).toEqual(['a', 'busy', 'b']);
    });
  });

  describe('reads', () => {
    it('answers from a majority that agrees, with no prepare or accept', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n1').change('k', put('v'), deadline()));
      const before = network.sent.length;
      const reader = makeProposer(network, 'n2');
      expect((await run(reader.read('k', deadline()))).value).toBe('v');
      // A bare majority is asked: its own acceptor and one peer. The third is never sent.
      expect(network.sent.slice(before).map((call) => call.kind)).toEqual(['peek', 'peek']);
    });

    it('asks the other acceptors when an early peek gets no answer, and spreads reads over peers', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n1').change('k', put('v'), deadline()));
      network.crash('n3');
      const reader = makeProposer(network, 'n1', { callTimeoutMs: 200 });
      const before = network.sent.length;
      for (let i = 0; i < 4; i++) expect((await run(reader.read('k', deadline()))).value).toBe('v');
      const peeked = network.sent.slice(before).map((call) => call.to);
      expect(peeked.filter((to) => to === 'n2').length).toBe(4); // the only peer that can answer, asked every time
      expect(peeked.filter((to) => to === 'n3').length).toBeGreaterThan(0); // asked first in its turn
    });

    it('finishes an unfinished write with a full round when replicas disagree', async () => {
      const network = makeNetwork(3);
      network.crash('n3');
      await run(makeProposer(network, 'n1').change('k', put('v1'), deadline())); // n3 misses it
      network.restart('n3');
      // A proposer died after its accept reached n1 only.
      const ghost = encodeBallot({ counter: 1000, boot: 0, nodeId: 'ghost' });
      await run(
        network
          .store('n1')
          .accept([{ key: 'k', ballot: ghost, state: { present: true, value: 'v2', version: 2, lineage: [ghost] } }]),
      );

      const reader = makeProposer(network, 'n2');
      const before = network.sent.length;
      const first = await run(reader.read('k', deadline()));
      const kinds = network.sent.slice(before).map((call) => call.kind);
      expect(kinds).toContain('prepare');
      expect(kinds).toContain('accept');
      // The value it returned is now chosen: the next read agrees without writing.
      const again = network.sent.length;
      expect(await run(makeProposer(network, 'n3').read('k', deadline()))).toEqual(first);
      expect(network.sent.slice(again).every((call) => call.kind === 'peek')).toBe(true);
    });

    it('does not trust an unfinished write held by a minority when the majority agrees', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n1').change('k', put('v1'), deadline()));
      const ghost = encodeBallot({ counter: 1000, boot: 0, nodeId: 'ghost' });
      await run(
        network
          .store('n1')
          .accept([{ key: 'k', ballot: ghost, state: { present: true, value: 'v2', version: 2, lineage: [ghost] } }]),
      );
      // Replies arrive n1 first; n2 and n3 still agree on v1, which is chosen.
      expect((await run(makeProposer(network, 'n2').read('k', deadline()))).value).toBe('v1');
    });
  });

  describe('competing proposers', () => {
    /** Each proposer increments `counter` `times` times in sequence; tallies the outcomes. */
    async function incrementConcurrently(proposers: readonly Proposer[], times: number, budgetMs: number) {
      const tally = { okValues: [] as number[], unknown: 0, notApplied: 0 };
      await run(
        Promise.all(
          proposers.map(async (proposer) => {
            for (let i = 0; i < times; i++) {
              try {
                tally.okValues.push(await proposer.change('counter', increment, deadline(budgetMs)));
              } catch (error) {
                if (!isReplicationError(error)) throw error;
                if (error.mayHaveTakenEffect) tally.unknown += 1;
                else tally.notApplied += 1;
              }
            }
          }),
        ),
      );
      return tally;
    }

    async function finalCount(network: InMemoryNetwork): Promise<number> {
      network.clearFaults();
      network.heal();
      return counterOf(await run(makeProposer(network, 'n1', { boot: 99 }).read('counter', deadline())));
    }

    it('applies each change exactly once under duplication and reordering', async () => {
      const network = makeNetwork(3, 42, { duplicate: 0.5, minDelayMs: 0, maxDelayMs: 20 });
      const proposer = makeProposer(network, 'n1', { callTimeoutMs: 200 });
      const callers = [proposer, proposer, proposer]; // one proposer: its callers never compete
      const { okValues, unknown, notApplied } = await incrementConcurrently(callers, 10, LONG);
      expect([unknown, notApplied]).toEqual([0, 0]);
      expect([...okValues].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await finalCount(network)).toBe(30);
    });

    it.each([
      ['duplication and reordering', 3, 42, { duplicate: 0.5, maxDelayMs: 20 }],
      ['message loss', 5, 2024, { dropRequest: 0.1, dropReply: 0.1, duplicate: 0.1, maxDelayMs: 10 }],
    ])(
      'counts every acknowledged increment exactly once across racing proposers (%s)',
      async (_, count, seed, faults) => {
        const network = makeNetwork(count, seed, faults);
        const proposers = nodeIds(count).map((id) => makeProposer(network, id, { callTimeoutMs: 50 }));
        const { okValues, unknown } = await incrementConcurrently(proposers, 8, 2000);
        const ok = okValues.length;
        const final = await finalCount(network);
        expect(ok).toBeGreaterThan(0);
        expect(new Set(okValues).size).toBe(ok); // no two acknowledged increments saw the same count
        expect(final).toBeGreaterThanOrEqual(Math.max(...okValues));
        expect(final).toBeGreaterThanOrEqual(ok);
        expect(final).toBeLessThanOrEqual(ok + unknown);
      },
    );
  });

  it('refuses a cluster description it cannot work with', () => {
    const network = new InMemoryNetwork({ seed: 1 });
    expect(() => new Proposer({ clock: new BallotClock('a', 0), acceptors: [] })).toThrow(RangeError);
    network.addNode('a');
    const client = network.client('a', 'a');
    expect(() => new Proposer({ clock: new BallotClock('a', 0), acceptors: [client, client] })).toThrow(RangeError);
  });
});
