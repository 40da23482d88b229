import { isReplicationError } from './errors';
import { FeedBatch } from './feed-batch';
import { FeedLearner } from './feed-learner';
import { FeedPosition, compareFeedPositions } from './feed-position';
import { FeedPublisher } from './feed-publisher';
import { FeedRelay } from './feed-relay';
import { FeedWatchers, WatchMessage } from './feed-watchers';
import { HybridClock } from './hybrid-clock';
import { Proposer } from './proposer';
import { NetworkFaults } from './testing/in-memory-network';
import { MemoryFeedStore } from './testing/memory-feed-store';
import { SeededRandom } from './testing/seeded-random';
import { fakeTimeRunner, makeNetwork, makeProposer, nodeIds, protocolFakeTimers, put } from './testing/test-support';

/**
 * The change feed on the in-memory network (docs/protocol.md, "Watching"):
 * proposers write unique values through a network that loses, duplicates
 * and reorders messages, partitions and crashes nodes; every node runs a
 * learner and a live watcher, and watchers move from node to node with their
 * last id. Each watcher's stream is then checked against what the clients
 * were told:
 *
 * - per key, versions rise;
 * - every event is a state some write could have made (never one that was
 *   refused), and no two events disagree on a key's version;
 * - every acknowledged write after the watcher started is delivered, or the
 *   stream has a resync after it.
 *
 * A sabotaged feed (closed stamps that ignore states in flight, and a
 * learner that stores late events without a gap) must fail the check.
 */

interface Write {
  readonly key: string;
  readonly value: string;
  status: 'ok' | 'unknown' | 'not-applied';
  version?: number;
}

interface Received {
  readonly messages: WatchMessage[];
  /** Where the watcher started (its first node's frontier then). */
  readonly start: FeedPosition;
}

/** Closed stamps from the clock alone, as if nothing were ever in flight: breaks rule (C). */
class InFlightBlindPublisher extends FeedPublisher {
  override closed(): number {
    return this.clockNow();
  }
}

/** A learner that takes late events like any other (stored, no gap): breaks rule 2. */
class LateTrustingLearner extends FeedLearner {
  protected override lateNeedsGap(): boolean {
    return false;
  }
}

interface FeedScenario {
  readonly seed: number;
  readonly faults: Partial<NetworkFaults>;
  readonly chaos: boolean;
  /** How long each fault lasts at most, in ms. Default 200; longer than the silence (2 s) isolates nodes for real. */
  readonly faultMs?: number;
  /** Keys written. Default 3; one key with many clients makes proposers combine writes into one round. */
  readonly keys?: number;
  /** Clients per proposer. Default 2. */
  readonly clients?: number;
  readonly sabotaged?: boolean;
}

async function simulateFeed(scenario: FeedScenario) {
  const ids = nodeIds(3);
  const network = makeNetwork(3, scenario.seed, scenario.faults);
  const random = new SeededRandom(scenario.seed * 104729);
  const learners = new Map<string, FeedLearner>();
  const watchers = new Map<string, FeedWatchers>();
  const stores = new Map<string, MemoryFeedStore>();
  for (const id of ids) {
    const store = new MemoryFeedStore();
    stores.set(id, store);
    const learner = scenario.sabotaged
      ? new LateTrustingLearner({ sources: ids, store })
      : new FeedLearner({ sources: ids, store });
    await learner.start();
    learners.set(id, learner);
    watchers.set(id, new FeedWatchers({ learner, store, pageSize: 7 }));
  }
  const publishers = ids.map((from) => {
    const options = {
      nodeId: from,
      epoch: `${from}-1`,
      clock: new HybridClock(() => Date.now() * 1000),
      links: ids.map((to) => network.feedLink(from, to, (batch: FeedBatch) => learners.get(to)!.receive(batch))),
    };
    return scenario.sabotaged ? new InFlightBlindPublisher(options) : new FeedPublisher(options);
  });
  publishers.forEach((publisher) => publisher.start());
  const proposers: Proposer[] = ids.map((id, i) =>
    makeProposer(network, id, { callTimeoutMs: 40, feed: publishers[i] }),
  );

  let running = true; // the chaos
  let watching = true; // learners and watchers, until the end
  const relays = ids.map(
    (id) =>
      new FeedRelay({
        nodeId: id,
        learner: learners.get(id)!,
        peers: ids
          .filter((peer) => peer !== id)
          .map((peer) =>
            network.feedRelayClient(id, peer, (source, epoch, afterSeq) =>
              learners.get(peer)!.batchesAfter(source, epoch, afterSeq),
            ),
          ),
      }),
  );
  const advancing = (async () => {
    let tick = 0;
    while (watching) {
      for (const learner of learners.values()) await learner.advance();
      if (++tick % 10 === 0) await Promise.all(relays.map((relay) => relay.pass()));
      await sleep(20);
    }
  })();

  // Two watchers that hop between nodes with their last id.
  const received: Received[] = [];

  const watch = async (): Promise<void> => {
    await sleep(WARM_UP_MS); // past every node's start gap
    let node = random.pick(ids);
    const messages: WatchMessage[] = [];
    let position: FeedPosition | undefined;
    let stop = (): void => undefined;
    const startOn = async (at: string): Promise<void> => {
      const handle = await watchers.get(at)!.watch(
        '',
        position,
        (message) => {
          messages.push(message);
          return true;
        },
        () => undefined,
      );
      position ??= handle.position();
      stop = () => {
        position = handle.position();
        handle.stop();
      };
    };
    await startOn(node);
    received.push({ messages, start: position! });
    while (watching) {
      await sleep(random.int(100, 400));
      stop();
      node = random.pick(ids);
      await startOn(node);
    }
    stop();
  };
  const watchersDone = [watch(), watch()];

  const writes: Write[] = [];
  const keys = ['a', 'b', 'c', 'd', 'e'].slice(0, scenario.keys ?? 3);
  const client = async (proposer: Proposer, name: string): Promise<void> => {
    await sleep(2 * WARM_UP_MS);
    for (let i = 0; i < 25; i++) {
      await sleep(random.int(0, 25));
      const write: Write = { key: random.pick(keys), value: `${name}-${i}`, status: 'ok' };
      writes.push(write);
      try {
        write.version = (await proposer.change(write.key, put(write.value), Date.now() + 300)).version;
      } catch (error) {
        if (!isReplicationError(error)) throw error;
        write.status = error.mayHaveTakenEffect ? 'unknown' : 'not-applied';
      }
    }
  };
  const chaos = async (): Promise<void> => {
    while (running && scenario.chaos) {
      await sleep(random.int(50, scenario.faultMs ?? 200));
      const roll = random.next();
      if (roll < 0.3) {
        const cut = ids.filter(() => random.chance(0.4));
        network.partition(
          cut,
          ids.filter((id) => !cut.includes(id)),
        );
      } else if (roll < 0.45) {
        network.crash(random.pick(ids));
      } else {
        network.heal();
        ids.forEach((id) => network.restart(id));
      }
    }
  };

  const chaosDone = chaos();
  await run(
    Promise.all(
      proposers.flatMap((proposer, p) =>
        Array.from({ length: scenario.clients ?? 2 }, (_, c) => client(proposer, `p${p}c${c}`)),
      ),
    ),
  );
  // Heal, and give every stream time to deliver (silence, retries, frontiers).
  running = false;
  await run(chaosDone);
  network.clearFaults();
  network.heal();
  ids.forEach((id) => network.restart(id));
  await run(sleep(5000));
  watching = false;
  await run(Promise.all([...watchersDone, advancing]));
  publishers.forEach((publisher) => publisher.stop());
  // Where each write's event sits, from every node's stored feed.
  const stored = new Map<string, FeedPosition>();
  for (const store of stores.values())
    for (const entry of await store.all())
      if (entry.kind === 'event')
        stored.set(entry.event.value as string, { stamp: entry.event.stamp, key: entry.event.key });
  return { writes, received, stored };
}

/** What the stream promises, checked against what the clients were told. */
function checkStreams(
  writes: readonly Write[],
  received: readonly Received[],
  stored: ReadonlyMap<string, FeedPosition>,
): string[] {
  const problems: string[] = [];
  const byValue = new Map(writes.map((write) => [write.value, write]));
  for (const [w, { messages, start }] of received.entries()) {
    const last = new Map<string, number>();
    const delivered = new Set<string>();
    for (const message of messages) {
      if (message.kind !== 'event') continue;
      const { key, version, value } = message.event;
      if ((last.get(key) ?? 0) >= version) problems.push(`watcher ${w}: ${key} v${version} after v${last.get(key)}`);
      last.set(key, version);
      const write = byValue.get(value as string);
      if (write === undefined || write.key !== key || write.status === 'not-applied')
        problems.push(`watcher ${w}: an event for ${key} = ${String(value)}, which no write could have made`);
      else if (write.status === 'ok' && write.version !== version)
        problems.push(`watcher ${w}: ${key} = ${String(value)} at v${version}, acknowledged at v${write.version}`);
      delivered.add(value as string);
    }
    const resyncs = messages.filter((m) => m.kind === 'resync').map((m) => m.position);
    for (const write of writes) {
      if (write.status !== 'ok' || delivered.has(write.value)) continue;
      const position = stored.get(write.value);
      if (position === undefined) {
        problems.push(`acknowledged ${write.key} = ${write.value} is in no node's feed`);
        continue;
      }
      // Written before this watcher started: not its business.
      if (compareFeedPositions(position, start) <= 0) continue;
      const covered = resyncs.some((resync) => compareFeedPositions(resync, position) > 0);
      if (!covered)
        problems.push(`watcher ${w}: acknowledged ${write.key} = ${write.value} neither delivered nor resynced`);
    }
  }
  return problems;
}

/** Learners store their start gaps at their first frontier: watchers and writers begin after. */
const WARM_UP_MS = 300;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const { run } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

// A fixed start, so that stamps (and a failure's report) are the same on every run.
beforeEach(() => jest.useFakeTimers({ ...protocolFakeTimers(), now: 1_800_000_000_000 }));
afterEach(() => jest.useRealTimers());

describe('change feed simulation', () => {
  const lossy = { dropRequest: 0.05, dropReply: 0.05, duplicate: 0.1, minDelayMs: 0, maxDelayMs: 15 };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'every acknowledged write reaches every watcher, or a resync follows it; versions rise; nothing unchosen (seed %i)',
    async (seed) => {
      const { writes, received, stored } = await simulateFeed({ seed, faults: lossy, chaos: true });
      expect(checkStreams(writes, received, stored)).toEqual([]);
      // The run must have exercised something.
      expect(writes.filter((write) => write.status === 'ok').length).toBeGreaterThan(40);
      for (const { messages } of received)
        expect(messages.filter((m) => m.kind === 'event').length).toBeGreaterThan(20);
    },
  );

  it('a combined round (writes queued on one proposer for one key) publishes every version it makes', async () => {
    const { writes, received, stored } = await simulateFeed({
      seed: 12,
      faults: {},
      chaos: false,
      keys: 1,
      clients: 6,
    });
    expect(checkStreams(writes, received, stored)).toEqual([]);
    // Combined rounds happened: writes acknowledged at the same moment on one proposer.
    const ok = writes.filter((write) => write.status === 'ok');
    expect(new Set(ok.map((write) => write.version)).size).toBe(ok.length);
  });

  it('without faults, watchers get every write and no resync after their start', async () => {
    const { writes, received, stored } = await simulateFeed({ seed: 9, faults: {}, chaos: false });
    expect(checkStreams(writes, received, stored)).toEqual([]);
    for (const { messages } of received) {
      expect(messages.filter((m) => m.kind === 'resync')).toEqual([]);
      expect(messages.filter((m) => m.kind === 'event')).toHaveLength(writes.filter((w) => w.status === 'ok').length);
    }
  });

  it('sabotage: closed stamps that ignore states in flight, with late events taken without a gap, lose writes, and the check says so', async () => {
    // Delays alone: every round takes a while, so states are in flight when closed stamps go out.
    const { writes, received, stored } = await simulateFeed({
      seed: 11,
      faults: { maxDelayMs: 15 },
      chaos: false,
      sabotaged: true,
    });
    expect(
      checkStreams(writes, received, stored).filter((problem) => problem.includes('neither delivered nor resynced')),
    ).not.toEqual([]);
  });

  it('the same run without the sabotage passes', async () => {
    const { writes, received, stored } = await simulateFeed({ seed: 11, faults: { maxDelayMs: 15 }, chaos: false });
    expect(checkStreams(writes, received, stored)).toEqual([]);
  });
});
