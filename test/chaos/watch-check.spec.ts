import type { WatchMessage, WatcherRecord } from './harness/watch-client';
import { checkWatchStreams, WriteRecord } from './watch-check';

const write = (
  key: string,
  value: string,
  version: number,
  at: number,
  status: WriteRecord['status'] = 'ok',
): WriteRecord => ({
  key,
  value,
  status,
  version,
  invokeTime: at,
  completeTime: at + 5,
});
const put = (key: string, value: string, version: number, stampMs: number): WatchMessage => ({
  kind: 'event',
  event: 'put',
  key,
  value,
  version,
  stamp: stampMs * 1000,
  node: 'n1',
});
const watcher = (messages: WatchMessage[], startMs = 0, lastMs = 100_000): WatcherRecord => ({
  name: 'w1',
  messages,
  startStamp: startMs * 1000,
  lastStamp: lastMs * 1000,
  hops: 0,
  breaks: 0,
});

describe('checkWatchStreams', () => {
  const writes = [write('a', 'c1-1', 1, 10_000), write('a', 'c2-1', 2, 20_000), write('b', 'c1-2', 1, 30_000)];

  it('passes a stream with every acknowledged write, in version order', () => {
    const stream = [put('a', 'c1-1', 1, 10_001), put('a', 'c2-1', 2, 20_001), put('b', 'c1-2', 1, 30_001)];
    expect(checkWatchStreams(writes, [watcher(stream)])).toEqual([]);
  });

  it('reports versions going back, a value nobody wrote, one that failed, and a wrong version', () => {
    const stream = [
      put('a', 'c2-1', 2, 20_001),
      put('a', 'c1-1', 1, 10_001),
      put('b', 'nobody', 1, 30_001),
      put('c', 'c9-9', 1, 40_001),
      put('b', 'c1-2', 3, 50_001),
    ];
    const all = [...writes, write('c', 'c9-9', 1, 40_000, 'fail')];
    expect(checkWatchStreams(all, [watcher(stream)])).toEqual([
      'w1: a v1 after v2 (from n1)',
      'w1: put b = "nobody" v1, which no write sent',
      'w1: put c = "c9-9", a write that certainly failed',
      'w1: put b = "c1-2" at v3, acknowledged at v1',
    ]);
  });

  it('accepts a missing write when a resync follows its start, and only writes wholly inside the watch', () => {
    const missing = [put('a', 'c1-1', 1, 10_001), put('b', 'c1-2', 1, 30_001)];
    expect(checkWatchStreams(writes, [watcher(missing)])).toEqual([
      'w1: acknowledged a = "c2-1" (v2) neither sent nor followed by a resync',
    ]);
    const resynced: WatchMessage[] = [...missing, { kind: 'resync', stamp: 25_000_000, node: 'n2' }];
    expect(checkWatchStreams(writes, [watcher(resynced)])).toEqual([]);
    // Started after it, or ended before it: not this watcher's business.
    expect(checkWatchStreams(writes, [watcher(missing, 19_500)])).toEqual([]);
    expect(checkWatchStreams(writes, [watcher(missing, 0, 20_500)])).toEqual([]);
  });
});
