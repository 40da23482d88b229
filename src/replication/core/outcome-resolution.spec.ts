import { Ballot, decodeBallot, encodeBallot } from './ballot';
import { ChangeFn, VersionRuleError } from './change';
import { ReplicationError, isReplicationError } from './errors';
import { InMemoryNetwork } from './testing/in-memory-network';
import { AcceptRequest } from './messages';
import { Proposer } from './proposer';
import { ABSENT, LINEAGE_LIMIT, RegisterContent, RegisterState, proposedState } from './register';
import { SeededRandom } from './testing/seeded-random';
import {
  counterOf,
  fakeTimeRunner,
  increment,
  makeNetwork,
  makeProposer,
  nodeIds,
  protocolFakeTimers,
} from './testing/test-support';
import { AcceptorClient } from './transport';

/**
 * Outcome resolution: what the proposer does when its accept reached no
 * majority but may be stored somewhere (see Proposer.resolveOutcome).
 *
 * Most cases are built by hand: a hook runs just before our accept reaches an
 * acceptor and plays a competing proposer directly on the stores, so each
 * case is exact rather than a matter of timing.
 */

const LONG = 10_000;
const deadline = (ms = LONG): number => Date.now() + ms;
const KEY = 'k';

const { run, settle } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

interface AcceptContext {
  readonly nodeId: string;
  readonly request: AcceptRequest;
  /** 1 for the first distinct accept ballot the proposer sent, 2 for the next, ... */
  readonly round: number;
}

/** Deliver the accept and its reply, or apply it at the acceptor and lose the reply. */
type AcceptAction = 'deliver' | 'lose-reply';

type BeforeAccept = (context: AcceptContext) => AcceptAction | void | Promise<AcceptAction | void>;
type AfterAccept = (context: AcceptContext) => void | Promise<void>;

/**
 * Runs `before` just before each accept reaches its acceptor, and `after`
 * once the acceptor has applied it (before the reply travels back); either
 * may act on the stores meanwhile.
 */
function hookAccepts(before: BeforeAccept, after: AfterAccept = () => undefined) {
  const rounds: Ballot[] = [];
  return (client: AcceptorClient): AcceptorClient => ({
    nodeId: client.nodeId,
    prepare: (requests, timeoutMs) => client.prepare(requests, timeoutMs),
    peek: (keys, timeoutMs) => client.peek(keys, timeoutMs),
    list: (range, limit, timeoutMs) => client.list(range, limit, timeoutMs),
    accept: async (requests, timeoutMs) => {
      const request = requests.find((r) => r.key === KEY) ?? requests[0]!;
      if (!rounds.includes(request.ballot)) rounds.push(request.ballot);
      const context = { nodeId: client.nodeId, request, round: rounds.indexOf(request.ballot) + 1 };
      const action = await before(context);
      const replies = await client.accept(requests, timeoutMs);
      await after(context);
      if (action === 'lose-reply') throw new Error(`accept reply from ${client.nodeId} lost`);
      return replies;
    },
  });
}

/** A ballot of a competing proposer 'z' with the given counter (same boot as the test proposers). */
function rivalBallot(counter: number): Ballot {
  return encodeBallot({ counter, boot: 0, nodeId: 'z' });
}

const counterIn = (ballot: Ballot): number => decodeBallot(ballot).counter;

/** A competitor's whole round, played directly on the stores of `nodes`. */
async function rivalRound(network: InMemoryNetwork, nodes: readonly string[], ballot: Ballot, state: RegisterState) {
  for (const id of nodes) {
    const [granted] = await network.store(id).prepare([{ key: KEY, ballot }]);
    expect(granted?.ok).toBe(true);
    const [stored] = await network.store(id).accept([{ key: KEY, ballot, state }]);
    expect(stored?.ok).toBe(true);
  }
}

async function expectReplicationError(promise: Promise<unknown>): Promise<ReplicationError> {
  const outcome = await settle(promise);
  if (outcome.status === 'fulfilled')
    throw new Error(`expected a ReplicationError, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.reason).toBeInstanceOf(ReplicationError);
  return outcome.reason as ReplicationError;
}

function heldBy(network: InMemoryNetwork): RegisterState[] {
  return network.nodeIds.map((id) => network.memoryStore(id).inspect(KEY).state);
}

async function finalState(network: InMemoryNetwork): Promise<RegisterState> {
  network.clearFaults();
  network.heal();
  network.nodeIds.forEach((id) => network.restart(id));
  return run(makeProposer(network, 'n1', { boot: 99 }).read(KEY, deadline()));
}

type CasResult = { readonly ok: true; readonly version: number } | { readonly ok: false; readonly current: number };

/** Compare-and-set on the version, as a conditional PUT does. */
function cas(expectedVersion: number, value: unknown): ChangeFn<CasResult> {
  return (current) =>
    current.version !== expectedVersion
      ? { state: current, result: { ok: false, current: current.version } }
      : {
          state: { present: true, value, version: expectedVersion + 1 },
          result: { ok: true, version: expectedVersion + 1 },
        };
}

/** Adds `amount` to a counter register. */
function add(amount: number): ChangeFn<number> {
  return (current) => {
    const value = counterOf(current) + amount;
    return { state: { present: true, value, version: current.version + 1 }, result: value };
  };
}

/** A counter state; its lineage defaults to empty ("not known", as in a row written before lineages were stored). */
const counterState = (value: number, version = value, lineage: string[] = []): RegisterState => ({
  present: true,
  value,
  version,
  lineage,
});

/** What a client sees of a state: everything but its lineage. */
function contentOf({ present, value, version }: RegisterContent): RegisterContent {
  return { present, value, version };
}

describe('outcome resolution', () => {
  describe('a partial accept whose state is the newest', () => {
    it('is resolved as a success, and the state is chosen', async () => {
      const network = makeNetwork(3);
      // Between our prepare and our accept, someone prepares a higher ballot at n2 and n3 (and then goes away).
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(async ({ nodeId, request, round }) => {
          if (round === 1 && nodeId !== 'n1') {
            await network.store(nodeId).prepare([{ key: KEY, ballot: rivalBallot(counterIn(request.next!) + 5) }]);
          }
        }),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      // The resolution round wrote our state everywhere: it is chosen, and applied once.
      expect(heldBy(network).map(counterOf)).toEqual([1, 1, 1]);
      expect(counterOf(await finalState(network))).toBe(1);
      expect(network.countSent({ kind: 'prepare' })).toBe(6); // the first round, and one resolution round
    });

    it('recognises its own ballot on the one-round-trip path (the cached next ballot)', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(async ({ nodeId, request, round }) => {
          if (round === 2 && nodeId !== 'n1') {
            await network.store(nodeId).prepare([{ key: KEY, ballot: rivalBallot(counterIn(request.next!) + 5) }]);
          }
        }),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      const prepares = network.countSent({ kind: 'prepare' });
      // Round 2 is sent at the cached ballot with no prepare; only n1 stores it.
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(2);
      expect(network.countSent({ kind: 'prepare' })).toBe(prepares + 3); // resolution's prepare only
      expect(counterOf(await finalState(network))).toBe(2); // not 3: it was not re-run
    });

    it('leaves a fresh next ballot cached, so the following change takes one round trip', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(async ({ nodeId, request, round }) => {
          if (round === 1 && nodeId !== 'n1') {
            await network.store(nodeId).prepare([{ key: KEY, ballot: rivalBallot(counterIn(request.next!) + 5) }]);
          }
        }),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      const [prepares, accepts] = [network.countSent({ kind: 'prepare' }), network.countSent({ kind: 'accept' })];
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(2);
      expect(network.countSent({ kind: 'prepare' })).toBe(prepares);
      expect(network.countSent({ kind: 'accept' })).toBe(accepts + 3);
      expect(counterOf(await finalState(network))).toBe(2);
    });
  });

  describe("a partial accept overtaken by a competitor's newer state", () => {
    /**
     * Between our prepare and our accept, a competitor completes a round at n2 and n3
     * with `state` (or the state `state` makes for the competitor's ballot), at a ballot
     * chosen relative to the `next` ballot our accept carries. Our accept is stored at n1 only.
     */
    function overtakenBy(
      network: InMemoryNetwork,
      state: RegisterState | ((rival: Ballot) => RegisterState),
      ballot: (ours: AcceptRequest) => Ballot,
    ) {
      let done = false;
      return hookAccepts(async ({ nodeId, request, round }) => {
        if (round !== 1 || nodeId === 'n1' || done) return;
        done = true;
        const rival = ballot(request);
        await rivalRound(network, ['n2', 'n3'], rival, typeof state === 'function' ? state(rival) : state);
      });
    }
    const aboveNext = (ours: AcceptRequest): Ballot => rivalBallot(counterIn(ours.next!) + 1);
    /** Between our ballot and our next ballot: no acceptor holding our state could have granted it. */
    const belowNext = (ours: AcceptRequest): Ballot => {
      const ballot = rivalBallot(counterIn(ours.ballot));
      expect(ballot > ours.ballot && ballot < ours.next!).toBe(true);
      return ballot;
    };

    it('re-runs a compare-and-set, which then gets its precondition failure', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        wrap: overtakenBy(network, { present: true, value: 'rival', version: 1, lineage: [] }, aboveNext),
      });
      expect(await run(proposer.change(KEY, cas(0, 'mine'), deadline()))).toEqual({ ok: false, current: 1 });
      expect(contentOf(await finalState(network))).toEqual({ present: true, value: 'rival', version: 1 });
    });

    it('re-runs an unconditional change once, on top of the competitor (different state, same version)', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: overtakenBy(network, counterState(10, 1), aboveNext) });
      expect(await run(proposer.change(KEY, add(1), deadline()))).toBe(11);
      expect(contentOf(await finalState(network))).toEqual(contentOf(counterState(11, 2))); // 10 + 1: each applied exactly once
    });

    it('re-runs when the competitor state is older than ours (a lower version)', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n2').change(KEY, increment, deadline())); // version 1 everywhere
      const proposer = makeProposer(network, 'n1', {
        wrap: overtakenBy(network, counterState(1, 1), aboveNext), // e.g. someone's read, writing back version 1
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(2);
      expect(counterOf(await finalState(network))).toBe(2);
    });

    it('re-runs when the competitor ballot is below our next ballot, even with an identical state', async () => {
      const network = makeNetwork(3);
      // The competitor incremented the same base: its state equals ours, so only the ballots tell.
      const proposer = makeProposer(network, 'n1', { wrap: overtakenBy(network, counterState(1), belowNext) });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(2);
      expect(counterOf(await finalState(network))).toBe(2); // both increments, each once
    });

    // Without a lineage (rows written before it was stored) the version rule alone decides, as above;
    // an equal state at the same version above our next ballot could not be told apart from ours.
    it('re-runs when the competitor built an identical state on the same base above our next ballot: its lineage tells', async () => {
      const network = makeNetwork(3);
      // It incremented the key's origin too, so its state equals ours; its lineage ends in the
      // origin's id, below our next ballot, and does not hold ours.
      const proposer = makeProposer(network, 'n1', {
        wrap: overtakenBy(network, (rival) => proposedState(ABSENT, counterState(1), rival), aboveNext),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(2);
      const final = await finalState(network);
      expect(counterOf(final)).toBe(2); // both increments, each once
      expect(final.lineage).toHaveLength(3); // ours (re-run), the competitor's, the origin
    });

    it('re-runs after a chain of competitor writes not built on ours, once the lineage reaches below our next ballot', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n2').change(KEY, increment, deadline())); // the base, version 1
      const base = network.memoryStore('n2').inspect(KEY).state;
      // Two competitor increments on the base (version 3, above ours): the version rule cannot tell.
      const proposer = makeProposer(network, 'n1', {
        wrap: overtakenBy(
          network,
          // Both competitor ballots are above our next ballot; the base's id is below it.
          (rival) =>
            counterState(3, 3, [rival, rivalBallot(counterIn(rival) - 1), ...base.lineage].slice(0, LINEAGE_LIMIT)),
          (ours) => rivalBallot(counterIn(ours.next!) + 2),
        ),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(4);
      expect(counterOf(await finalState(network))).toBe(4);
    });

    it('applies a combined round again in order, every caller getting its recomputed result', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: overtakenBy(network, counterState(10, 1), aboveNext) });
      const results = await run(Promise.all([1, 2, 3].map(() => proposer.change(KEY, add(1), deadline()))));
      expect(results).toEqual([11, 12, 13]);
      expect(contentOf(await finalState(network))).toEqual(contentOf(counterState(13, 4)));
    });
  });

  describe('a partial accept that a competitor built on', () => {
    /** One competitor round: the state it proposes at `ballot` after finding `found`. */
    type RivalWrite = (found: RegisterState, ballot: Ballot) => RegisterState;
    const rivalIncrement: RivalWrite = (found, ballot) => proposedState(found, increment(found).state, ballot);
    /** A read, or a compare-and-set whose precondition failed on ours: it writes back what it found. */
    const rivalIdentity: RivalWrite = (found) => found;
    /** A writer that keeps no lineage (a peer on the release before lineages). */
    const rivalIncrementWithoutLineage: RivalWrite = (found, ballot) => ({
      ...rivalIncrement(found, ballot),
      lineage: [],
    });

    /**
     * The competitor's prepare met n1 after n1 stored our state, so it built on it
     * (as Paxos requires: our state might have been chosen), in one or more rounds
     * (`writes`, each on the one before) at n2 and n3. Its ballots are above our next
     * ballot, which n1 had promised. "Our ballot is not chosen" is true here, yet our
     * change did take effect: re-running it would apply it twice.
     */
    function builtOnOurs(network: InMemoryNetwork, writes: readonly RivalWrite[]) {
      let rivalDone = (): void => undefined;
      const rivalHasWritten = new Promise<void>((resolve) => (rivalDone = resolve));
      return hookAccepts(
        // Our accept reaches n2 and n3 only after the competitor wrote there.
        async ({ nodeId, round }) => {
          if (round === 1 && nodeId !== 'n1') await rivalHasWritten;
        },
        // Once n1 has stored our state, the competitor prepares there (n1 grants: the ballot is
        // above the next ballot n1 promised us), sees our state, and builds on it at n2 and n3.
        async ({ nodeId, request, round }) => {
          if (round !== 1 || nodeId !== 'n1') return;
          let ballot = rivalBallot(counterIn(request.next!) + 1);
          const [seen] = await network.store('n1').prepare([{ key: KEY, ballot }]);
          if (seen?.ok !== true || seen.accepted !== request.ballot)
            throw new Error('the competitor should see ours at n1');
          let state = seen.state;
          for (const write of writes) {
            state = write(state, ballot);
            await rivalRound(network, ['n2', 'n3'], ballot, state);
            ballot = rivalBallot(counterIn(ballot) + 1);
          }
          rivalDone();
        },
      );
    }

    it("resolves an increment as applied once when the competitor's write built on it (our id in its lineage)", async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: builtOnOurs(network, [rivalIncrement]) });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      expect(counterOf(await finalState(network))).toBe(2); // ours and the competitor's, once each
    });

    it('resolves a compare-and-set as won when a competitor wrote our state back, rather than a false 412', async () => {
      const network = makeNetwork(3);
      // The competitor's own compare-and-set (on version 0) failed on our write, so it wrote ours back.
      const proposer = makeProposer(network, 'n1', { wrap: builtOnOurs(network, [rivalIdentity]) });
      expect(await run(proposer.change(KEY, cas(0, 'mine'), deadline()))).toEqual({ ok: true, version: 1 });
      expect(contentOf(await finalState(network))).toEqual({ present: true, value: 'mine', version: 1 });
    });

    it('resolves an increment as applied once under a chain of two competitor writes on it', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: builtOnOurs(network, [rivalIncrement, rivalIncrement]) });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      expect(counterOf(await finalState(network))).toBe(3);
    });

    it('answers OUTCOME_UNKNOWN when more competitor writes built on it than a lineage keeps', async () => {
      const network = makeNetwork(3);
      // The lineage now holds only competitor ids above our next ballot: neither ours nor anything older.
      const writes = Array.from({ length: LINEAGE_LIMIT }, () => rivalIncrement);
      const proposer = makeProposer(network, 'n1', { wrap: builtOnOurs(network, writes) });
      const error = await expectReplicationError(proposer.change(KEY, increment, deadline()));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      expect(counterOf(await finalState(network))).toBe(LINEAGE_LIMIT + 1); // never applied twice
    });

    it('answers OUTCOME_UNKNOWN when the competitor kept no lineage, rather than applying it twice', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', { wrap: builtOnOurs(network, [rivalIncrementWithoutLineage]) });
      const error = await expectReplicationError(proposer.change(KEY, increment, deadline()));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      expect(counterOf(await finalState(network))).toBe(2);
    });
  });

  describe('lost accept replies', () => {
    it('resolves an accept stored everywhere whose replies were all lost as a success, by looking', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(({ round }) => (round === 1 ? 'lose-reply' : 'deliver')),
      });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      // A majority reports our ballot when peeked: chosen, no resolution round needed.
      expect(network.countSent({ kind: 'prepare' })).toBe(3);
      expect(counterOf(await finalState(network))).toBe(1);
    });

    it('keeps resolving while the resolution round loses its replies too, and knows its own ballots', async () => {
      const network = makeNetwork(3);
      // No peek is answered, so only resolution rounds can settle it.
      const unpeekable = (client: AcceptorClient): AcceptorClient => ({
        ...client,
        nodeId: client.nodeId,
        peek: () => Promise.reject(new Error('peek lost')),
      });
      const hooked = hookAccepts(({ round }) => (round <= 3 ? 'lose-reply' : 'deliver'));
      const proposer = makeProposer(network, 'n1', { wrap: (client) => unpeekable(hooked(client)) });
      expect(await run(proposer.change(KEY, increment, deadline()))).toBe(1);
      expect(network.countSent({ kind: 'accept' })).toBe(12);
      expect(counterOf(await finalState(network))).toBe(1);
    });

    it.each([1, 2, 3])(
      'gives definite outcomes to callers of one proposer under random reply loss (seed %i)',
      async (seed) => {
        const network = makeNetwork(3, seed, { dropReply: 0.35, maxDelayMs: 5 });
        const proposer = makeProposer(network, 'n1', { callTimeoutMs: 50 });
        const results: number[] = [];
        await run(
          Promise.all(
            [1, 2, 3].map(async () => {
              for (let i = 0; i < 8; i++) results.push(await proposer.change(KEY, increment, deadline()));
            }),
          ),
        );
        expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
        expect(counterOf(await finalState(network))).toBe(24);
      },
    );
  });

  describe('when a majority cannot be reached after the accept', () => {
    it('answers OUTCOME_UNKNOWN, naming the nodes that went down', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(({ nodeId, round }) => {
          if (round === 1 && nodeId === 'n1') ['n2', 'n3'].forEach((id) => network.crash(id));
        }),
      });
      const started = Date.now();
      const error = await expectReplicationError(proposer.change(KEY, increment, deadline()));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      expect(error.mayHaveTakenEffect).toBe(true);
      expect(error.unreachable).toEqual(['n2', 'n3']);
      expect(Date.now() - started).toBeLessThan(LONG / 10); // prepares refused: no need to wait for the deadline
      expect(counterOf(network.memoryStore('n1').inspect(KEY).state)).toBe(1); // why "unknown" is honest
    });

    it('answers OUTCOME_UNKNOWN by the deadline when the others fall silent', async () => {
      const network = makeNetwork(3);
      const proposer = makeProposer(network, 'n1', {
        unreachableRetries: 1000,
        wrap: hookAccepts(({ nodeId, round }) => {
          if (round === 1 && nodeId === 'n1') network.partition(['n1'], ['n2', 'n3']);
        }),
      });
      const end = deadline(1000);
      const error = await expectReplicationError(proposer.change(KEY, increment, end));
      expect(error.code).toBe('OUTCOME_UNKNOWN');
      expect(Date.now()).toBeLessThanOrEqual(end + 100);
    });
  });

  describe('changes that change nothing', () => {
    it('runs a failed compare-and-set again after an ambiguous accept, since it has nothing to lose', async () => {
      const network = makeNetwork(3);
      await run(makeProposer(network, 'n2').change(KEY, cas(0, 'first'), deadline()));
      let stale = 0;
      const proposer = makeProposer(network, 'n1', {
        wrap: hookAccepts(async ({ nodeId, request, round }) => {
          if (round === 1 && nodeId !== 'n1') {
            await network.store(nodeId).prepare([{ key: KEY, ballot: rivalBallot(counterIn(request.next!) + 5) }]);
          }
          if (request.state.version === 1) stale += 1;
        }),
      });
      expect(await run(proposer.change(KEY, cas(0, 'mine'), deadline()))).toEqual({ ok: false, current: 1 });
      expect(stale).toBe(6); // the identity was sent twice: once ambiguous, once chosen
      expect(contentOf(await finalState(network))).toEqual({ present: true, value: 'first', version: 1 });
    });

    it('answers a read whose write-back round is ambiguous with the state then chosen', async () => {
      const network = makeNetwork(3);
      // Replicas disagree (an older write at n2, a newer one that reached n1 only), so the read needs a round.
      await run(network.store('n2').accept([{ key: KEY, ballot: rivalBallot(40), state: counterState(7, 1) }]));
      await run(
        network.store('n1').accept([
          {
            key: KEY,
            ballot: rivalBallot(50),
            state: { present: true, value: 'v', version: 2, lineage: [rivalBallot(50)] },
          },
        ]),
      );
      const reader = makeProposer(network, 'n2', {
        wrap: hookAccepts(async ({ nodeId, request, round }) => {
          if (round === 1 && nodeId === 'n3') {
            await network.store('n3').prepare([{ key: KEY, ballot: rivalBallot(counterIn(request.next!) + 5) }]);
          }
          return round === 1 && nodeId === 'n1' ? 'lose-reply' : 'deliver';
        }),
      });
      expect(contentOf(await run(reader.read(KEY, deadline())))).toEqual({ present: true, value: 'v', version: 2 });
      expect(heldBy(network).map((state) => state.value)).toEqual(['v', 'v', 'v']);
    });
  });

  it('refuses a change that alters the state without raising its version, writing nothing', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    const sneaky: ChangeFn<string> = (current) => ({
      state: { ...current, present: true, value: 'x' },
      result: 'done',
    });
    await expect(run(proposer.change(KEY, sneaky, deadline()))).rejects.toBeInstanceOf(VersionRuleError);
    const lower: ChangeFn<string> = () => ({ state: { present: true, value: 'x', version: -1 }, result: 'done' });
    await expect(run(proposer.change(KEY, lower, deadline()))).rejects.toBeInstanceOf(VersionRuleError);
    expect(network.countSent({ kind: 'accept' })).toBe(0);
  });

  /**
   * The situation from production: concurrent conditional writers on one key from different nodes.
   * Before outcome resolution some of these calls ended OUTCOME_UNKNOWN; with resolution but without
   * lineages, up to one in a race did. Now none may: a competitor would have to stack more writes than
   * a lineage keeps between our accept and our resolution (see 'a partial accept that a competitor built on').
   */
  describe('two proposers racing compare-and-set on one key, no faults', () => {
    /** Each proposer reads the version and tries to bump it, `rounds` times. */
    async function race(seed: number, rounds: number) {
      const network = makeNetwork(3, seed, { maxDelayMs: 3 });
      const random = new SeededRandom(seed * 31);
      const proposers: Proposer[] = nodeIds(2).map((id) => makeProposer(network, id, { callTimeoutMs: 100 }));
      const wins = new Map<number, string>();
      const tally = { ok: 0, preconditionFailed: 0, unknown: 0, other: 0 };
      await run(
        Promise.all(
          proposers.map(async (proposer, p) => {
            for (let round = 0; round < rounds; round++) {
              await new Promise((resolve) => setTimeout(resolve, random.int(0, 3)));
              const seen = (await proposer.read(KEY, deadline(2000))).version;
              const value = `p${p}-${round}`;
              try {
                const result = await proposer.change(KEY, cas(seen, value), deadline(2000));
                if (!result.ok) {
                  tally.preconditionFailed += 1;
                  expect(result.current).toBeGreaterThan(seen);
                  continue;
                }
                tally.ok += 1;
                expect(result.version).toBe(seen + 1);
                expect(wins.has(result.version)).toBe(false); // exactly one winner per version
                wins.set(result.version, value);
              } catch (error) {
                if (isReplicationError(error, 'OUTCOME_UNKNOWN')) tally.unknown += 1;
                else tally.other += 1;
              }
            }
          }),
        ),
      );
      return { tally, wins, final: await finalState(network) };
    }

    it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])(
      'gives every call a definite answer, one winner per version (seed %i)',
      async (seed) => {
        const { tally, wins, final } = await race(seed, 12);
        // Without faults every call gets a definite answer: the lineage settles whether a competitor's
        // newer write was built on ours (before lineages, about one call in a race was left unknown).
        expect(tally.unknown).toBe(0);
        expect(tally.other).toBe(0);
        expect(tally.ok + tally.preconditionFailed + tally.unknown).toBe(24);
        expect(tally.preconditionFailed).toBeGreaterThan(0); // they did collide
        // Versions won by definite answers are distinct; an unknown call may have won one more.
        expect(final.present).toBe(true);
        expect(final.version).toBeGreaterThanOrEqual(tally.ok);
        expect(final.version).toBeLessThanOrEqual(tally.ok + tally.unknown);
        // No unknown call, so the register's versions are exactly 1..ok and the last winner's value is the final one.
        expect([...wins.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: tally.ok }, (_, i) => i + 1));
        expect(contentOf(final)).toEqual({ present: true, value: wins.get(tally.ok), version: tally.ok });
      },
    );
  });
});
