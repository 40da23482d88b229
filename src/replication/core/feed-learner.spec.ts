import { FeedBatch } from './feed-batch';
import { FeedAdvance, FeedLearner } from './feed-learner';
import { FeedEvent } from './feed-position';
import { MemoryFeedStore } from './testing/memory-feed-store';

const event = (stamp: number, key = `k${stamp}`, version = 1): FeedEvent => ({
  stamp,
  key,
  version,
  present: true,
  value: `v${stamp}`,
});

function batch(source: string, seq: number, closed: number, events: FeedEvent[] = [], extra: Partial<FeedBatch> = {}) {
  return { source, epoch: `${source}-e1`, seq, events, closed, issued: closed, ...extra };
}

async function started(sources = ['n1', 'n2'], store = new MemoryFeedStore()) {
  let now = 1_000;
  const learner = new FeedLearner({ sources, store, silenceMs: 2000, boundLeaseMicros: 1000, now: () => now });
  await learner.start();
  const advances: FeedAdvance[] = [];
  learner.onAdvance((advance) => advances.push(advance));
  return { learner, store, advances, tick: (ms: number) => (now += ms) };
}

describe('FeedLearner', () => {
  it('moves the frontier to the lowest closed stamp and releases the events at or below it, in feed order', async () => {
    const { learner, advances } = await started();
    learner.receive(batch('n1', 1, 50, [event(40, 'b'), event(20, 'z')]));
    learner.receive(batch('n2', 1, 30, [event(40, 'a'), event(45)]));
    await learner.advance();
    expect(learner.current).toBe(30);
    expect(advances[0]!.events.map((e) => e.key)).toEqual(['z']);

    learner.receive(batch('n2', 2, 60));
    await learner.advance();
    expect(learner.current).toBe(50);
    // Same stamp: by key.
    expect(advances[1]!.events.map((e) => [e.stamp, e.key])).toEqual([
      [40, 'a'],
      [40, 'b'],
      [45, 'k45'],
    ]);
  });

  it('waits for every source until one is silent for silenceMs, then stops waiting for it and stores a gap', async () => {
    const { learner, advances, tick } = await started();
    learner.receive(batch('n1', 1, 50, [event(40)]));
    await learner.advance();
    expect(learner.current).toBe(0);
    expect(advances).toEqual([]);

    tick(2001);
    learner.receive(batch('n1', 2, 50));
    await learner.advance();
    expect(learner.current).toBe(50);
    expect(advances[0]!.events.map((e) => e.stamp)).toEqual([40]);
    expect(advances[0]!.gaps).toEqual([{ at: 50, from: 0 }]);
  });

  it('stores the start gap, and a gap for each source first heard, at the first frontier past what they had issued', async () => {
    const { learner, advances } = await started();
    learner.receive(batch('n1', 1, 10, [], { issued: 70 }));
    learner.receive(batch('n2', 1, 20));
    await learner.advance();
    expect(advances[0]).toMatchObject({ frontier: 10, gaps: [{ at: 10, from: 0 }] });
    // n1's first batch may follow events it chose up to stamp 70 that never came here.
    learner.receive(batch('n1', 2, 80));
    learner.receive(batch('n2', 2, 60));
    await learner.advance();
    // n2's first batch issued nothing above 20.
    expect(advances[1]).toMatchObject({ frontier: 60, gaps: [{ at: 60, from: 0 }] });
    learner.receive(batch('n2', 3, 90));
    await learner.advance();
    expect(advances[2]).toMatchObject({ frontier: 80, gaps: [{ at: 80, from: 0 }] });
  });

  it('drops a batch sent again, and stores a gap when batches were skipped or the source restarted', async () => {
    const { learner, advances } = await started();
    learner.receive(batch('n1', 1, 10));
    learner.receive(batch('n2', 1, 10));
    await learner.advance(); // the first-contact gaps
    learner.receive(batch('n1', 2, 20, [event(15)]));
    learner.receive(batch('n1', 2, 20, [event(15)]));
    learner.receive(batch('n2', 2, 30));
    await learner.advance();
    expect(advances[1]).toMatchObject({ frontier: 20, gaps: [] });
    expect(advances[1]!.events).toHaveLength(1);

    learner.receive(batch('n1', 4, 40)); // 3 was lost
    learner.receive(batch('n2', 3, 50));
    await learner.advance();
    expect(advances[2]).toMatchObject({ frontier: 40, gaps: [{ at: 40, from: 20 }] });

    learner.receive(batch('n1', 1, 60, [], { epoch: 'n1-e2' })); // restarted
    learner.receive(batch('n2', 4, 70));
    await learner.advance();
    expect(advances[3]).toMatchObject({ frontier: 60, gaps: [{ at: 60, from: 40 }] });
  });

  it('stores a late event with a gap, unless the feed already holds it', async () => {
    const { learner, advances, store } = await started(['n1']);
    learner.receive(batch('n1', 1, 50, [event(30)]));
    await learner.advance();
    learner.receive(batch('n1', 2, 60, [event(30), event(20, 'old')]));
    await learner.advance();
    expect(advances[1]!.events.map((e) => e.key)).toEqual(['old']);
    expect(advances[1]!.gaps).toEqual([{ at: 60, from: 20 }]);
    expect(
      (await store.all()).map((entry) => (entry.kind === 'event' ? entry.event.key : `gap@${entry.gap.at}`)),
    ).toEqual(['old', 'k30', 'gap@50', 'gap@60']);
  });

  it('stores a gap at every advance that passes stamps the proposer announced uncertain (an outcome it gave up on)', async () => {
    const { learner, advances } = await started(['n1']);
    learner.receive(batch('n1', 1, 10));
    await learner.advance();
    // Uncertain from 15 up to what it had issued, 25.
    learner.receive(batch('n1', 2, 12, [], { gapFrom: 15, issued: 25 }));
    await learner.advance();
    expect(advances[1]!.gaps).toEqual([]);
    learner.receive(batch('n1', 3, 20));
    await learner.advance();
    expect(advances[2]!.gaps).toEqual([{ at: 20, from: 15 }]);
    learner.receive(batch('n1', 4, 30));
    await learner.advance();
    expect(advances[3]!.gaps).toEqual([{ at: 30, from: 15 }]);
    learner.receive(batch('n1', 5, 40));
    await learner.advance();
    expect(advances[4]!.gaps).toEqual([]);
  });

  it('stores a bound ahead of the frontier once per lease, and starts again from the stored bound', async () => {
    const { learner, store } = await started(['n1']);
    learner.receive(batch('n1', 1, 500));
    await learner.advance();
    expect(await store.loadBound()).toBe(1500);
    learner.receive(batch('n1', 2, 1200));
    await learner.advance();
    expect(await store.loadBound()).toBe(1500);
    learner.receive(batch('n1', 3, 1600));
    await learner.advance();
    expect(await store.loadBound()).toBe(2600);

    const restarted = await started(['n1'], store);
    expect(restarted.learner.current).toBe(2600);
    restarted.learner.receive(batch('n1', 4, 2000, [event(1700)]));
    await restarted.learner.advance();
    expect(restarted.learner.current).toBe(2600); // never below what watchers were served
    restarted.learner.receive(batch('n1', 5, 2700));
    await restarted.learner.advance();
    expect(restarted.advances[0]).toMatchObject({ frontier: 2700, gaps: [{ at: 2700, from: 0 }] });
  });

  it('keeps everything for the next advance when the store fails, and announces nothing', async () => {
    const { learner, advances, store } = await started(['n1']);
    learner.receive(batch('n1', 1, 50, [event(40)]));
    store.failNextAppend = true;
    await expect(learner.advance()).rejects.toThrow('append failed');
    expect(learner.current).toBe(0);
    expect(advances).toEqual([]);
    await learner.advance();
    expect(advances[0]).toMatchObject({ frontier: 50, gaps: [{ at: 50, from: 0 }] });
    expect(advances[0]!.events.map((e) => e.stamp)).toEqual([40]);
  });
});
