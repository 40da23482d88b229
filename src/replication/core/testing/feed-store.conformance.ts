import { FeedEvent } from '../feed-position';
import { FeedStore } from '../feed-store';

/**
 * The feed store's contract, checked through FeedStore alone, so the
 * in-memory store (unit tests) and the PostgreSQL one (integration tests)
 * behave the same. Each test gets a fresh, empty store.
 */
export function describeFeedStoreRules(name: string, makeStore: () => Promise<FeedStore>): void {
  const event = (stamp: number, key: string, version = 1, present = true): FeedEvent => ({
    stamp,
    key,
    version,
    present,
    value: present ? { key, stamp, text: 'nul \u0000 inside' } : null,
  });
  const keys = (entries: Awaited<ReturnType<FeedStore['read']>>) =>
    entries.map((entry) =>
      entry.kind === 'event' ? `${entry.event.stamp}:${entry.event.key}` : `gap@${entry.gap.at}`,
    );

  describe(`${name}: feed store rules`, () => {
    let store: FeedStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('starts with no bound and no horizon, and keeps the last bound stored', async () => {
      expect(await store.loadBound()).toBeUndefined();
      expect(await store.horizon()).toBeUndefined();
      await store.append({ events: [], gaps: [], bound: 100 });
      await store.append({ events: [], gaps: [] });
      expect(await store.loadBound()).toBe(100);
      await store.append({ events: [], gaps: [], bound: 250 });
      expect(await store.loadBound()).toBe(250);
    });

    it('reads events and gaps in feed order, after a position, up to a stamp, events under a prefix only', async () => {
      const stamp = 1_765_000_000_000_000; // real stamps are microseconds: beyond 32 bits
      await store.append({
        events: [
          event(stamp + 1, 'a/1'),
          event(stamp + 2, 'a/2'),
          event(stamp + 2, 'b/1'),
          event(stamp + 2, 'a/3', 4, false),
        ],
        gaps: [{ at: stamp + 2, from: 0 }],
      });
      await store.append({ events: [event(stamp + 5, 'a/4')], gaps: [{ at: stamp + 5, from: stamp + 3 }] });
      const all = await store.read({ stamp: 0 }, stamp + 10, '', 100);
      expect(keys(all)).toEqual([
        `${stamp + 1}:a/1`,
        `${stamp + 2}:a/2`,
        `${stamp + 2}:a/3`,
        `${stamp + 2}:b/1`,
        `gap@${stamp + 2}`,
        `${stamp + 5}:a/4`,
        `gap@${stamp + 5}`,
      ]);
      expect(all[2]).toEqual({ kind: 'event', event: event(stamp + 2, 'a/3', 4, false) });
      expect(all[0]).toEqual({ kind: 'event', event: event(stamp + 1, 'a/1') });
      await store.append({ events: [{ ...event(stamp + 9, 'ttl'), expiresAt: 1_900_000_000_000 }], gaps: [] });
      expect((await store.read({ stamp: stamp + 8 }, stamp + 10, 'ttl', 1))[0]).toEqual({
        kind: 'event',
        event: { ...event(stamp + 9, 'ttl'), expiresAt: 1_900_000_000_000 },
      });
      expect(all[4]).toEqual({ kind: 'gap', gap: { at: stamp + 2, from: 0 } });

      expect(keys(await store.read({ stamp: stamp + 2, key: 'a/2' }, stamp + 4, 'a/', 100))).toEqual([
        `${stamp + 2}:a/3`,
        `gap@${stamp + 2}`,
      ]);
      expect(keys(await store.read({ stamp: stamp + 2 }, stamp + 10, 'a/', 100))).toEqual([
        `${stamp + 5}:a/4`,
        `gap@${stamp + 5}`,
      ]);
      expect(keys(await store.read({ stamp: 0 }, stamp + 10, 'a/', 2))).toEqual([
        `${stamp + 1}:a/1`,
        `${stamp + 2}:a/2`,
      ]);
      expect(keys(await store.read({ stamp: 0 }, stamp + 10, 'zz', 10))).toEqual([
        `gap@${stamp + 2}`,
        `gap@${stamp + 5}`,
      ]);
    });

    it('orders keys by their bytes and matches prefixes that hold LIKE patterns literally', async () => {
      await store.append({
        events: [event(7, '\u{10000}'), event(7, '\uFF61'), event(7, 'a%b'), event(7, 'a_c'), event(7, 'axb')],
        gaps: [],
      });
      expect(keys(await store.read({ stamp: 0 }, 10, '', 10))).toEqual([
        '7:a%b',
        '7:a_c',
        '7:axb',
        '7:\uFF61',
        '7:\u{10000}',
      ]);
      expect(keys(await store.read({ stamp: 0 }, 10, 'a%', 10))).toEqual(['7:a%b']);
      expect(keys(await store.read({ stamp: 0 }, 10, 'a_', 10))).toEqual(['7:a_c']);
    });

    it('tells which positions it holds', async () => {
      await store.append({ events: [event(3, 'x'), event(4, 'y')], gaps: [] });
      expect(
        await store.holds([
          { stamp: 3, key: 'x' },
          { stamp: 3, key: 'y' },
          { stamp: 4, key: 'y' },
        ]),
      ).toEqual([true, false, true]);
    });

    it('trims by age and by count, and remembers the newest position it deleted', async () => {
      await store.append({
        events: [event(1, 'a'), event(2, 'b'), event(3, 'c'), event(4, 'd'), event(5, 'e')],
        gaps: [{ at: 2, from: 0 }],
      });
      expect(await store.trim(3, 100)).toEqual({ stamp: 2 });
      expect(keys(await store.read({ stamp: 0 }, 10, '', 10))).toEqual(['3:c', '4:d', '5:e']);
      expect(await store.trim(0, 1)).toEqual({ stamp: 4, key: 'd' });
      expect(keys(await store.read({ stamp: 0 }, 10, '', 10))).toEqual(['5:e']);
      expect(await store.trim(0, 1)).toEqual({ stamp: 4, key: 'd' });
      expect(await store.horizon()).toEqual({ stamp: 4, key: 'd' });
    });
  });
}
