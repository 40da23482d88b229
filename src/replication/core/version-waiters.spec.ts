import { KeyChangeSignals } from './key-change-signals';
import { protocolFakeTimers } from './testing/test-support';
import { ReadOutcome, VersionWaiters, WaitRefusedError } from './version-waiters';

/** A key's reads, answered when the test says so, with the version the key has then (or a failure). */
class FakeReads {
  version = 0;
  failing = false;
  readonly pending: Array<() => void> = [];
  started = 0;

  read = (key: string): Promise<ReadOutcome<string>> => {
    this.started++;
    return new Promise((resolve) =>
      this.pending.push(() =>
        resolve(
          this.failing
            ? { ok: false, error: new Error('no quorum') }
            : { ok: true, version: this.version, result: `${key}@${this.version}` },
        ),
      ),
    );
  };

  /** Answers the oldest read in flight. */
  async answer(): Promise<void> {
    const next = this.pending.shift();
    if (!next) throw new Error('no read in flight');
    next();
    await flush();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('VersionWaiters', () => {
  let signals: KeyChangeSignals;
  let reads: FakeReads;
  let waiters: VersionWaiters<string>;
  const RECHECK_MS = 3000;

  beforeEach(() => {
    jest.useFakeTimers(protocolFakeTimers());
    signals = new KeyChangeSignals();
    reads = new FakeReads();
    waiters = new VersionWaiters({ signals, read: reads.read, recheckMs: RECHECK_MS, maxWaiters: 5 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** The wait's outcome so far: pending until it settles. */
  function track<T>(promise: Promise<T>): { settled: boolean; value?: T } {
    const state: { settled: boolean; value?: T } = { settled: false };
    void promise.then((value) => {
      state.settled = true;
      state.value = value;
    });
    return state;
  }

  it('answers at once when the first read finds a version above afterVersion', async () => {
    reads.version = 4;
    const wait = track(waiters.wait({ key: 'k', afterVersion: 3, waitMs: 30_000 }));
    expect(reads.started).toBe(1);
    await reads.answer();
    expect(wait).toEqual({ settled: true, value: { ok: true, version: 4, result: 'k@4' } });
    expect(waiters.open).toBe(0);
    expect(signals.keysWatched).toBe(0);
  });

  it('wakes on a signal for a newer version, with one read for all the waiters of the key', async () => {
    reads.version = 2;
    const many = Array.from({ length: 5 }, () => track(waiters.wait({ key: 'k', afterVersion: 2, waitMs: 30_000 })));
    // The first arrival's read, then one for all that arrived while it was in flight.
    await reads.answer();
    await reads.answer();
    expect(reads.started).toBe(2);
    expect(many.every((wait) => !wait.settled)).toBe(true);

    signals.notify('k', 2); // a write-back of the version they already have (an identity round): no read
    expect(reads.started).toBe(2);

    reads.version = 3;
    signals.notify('k', 3);
    signals.notify('k', 3); // the proposer's own signal for the same change: still one read
    expect(reads.started).toBe(3);
    await reads.answer();
    expect(many.map((wait) => wait.value)).toEqual(many.map(() => ({ ok: true, version: 3, result: 'k@3' })));
    expect(waiters.open).toBe(0);
  });

  it('without afterVersion, waits past the version the first read finds', async () => {
    reads.version = 7;
    const wait = track(waiters.wait({ key: 'k', waitMs: 30_000 }));
    await reads.answer();
    expect(wait.settled).toBe(false);
    reads.version = 8;
    signals.notify('k', 8);
    await reads.answer();
    expect(wait.value).toEqual({ ok: true, version: 8, result: 'k@8' });
  });

  it('never answers a waiter from a read that was already in flight when it arrived', async () => {
    reads.version = 1;
    const early = track(waiters.wait({ key: 'k', afterVersion: 0, waitMs: 30_000 }));
    const late = track(waiters.wait({ key: 'k', afterVersion: 0, waitMs: 30_000 })); // arrives during the first read
    expect(reads.started).toBe(1);
    await reads.answer();
    expect(early.settled).toBe(true);
    expect(late.settled).toBe(false); // the first read may have been decided before it arrived
    expect(reads.started).toBe(2); // so it gets its own, started after it arrived
    await reads.answer();
    expect(late.value).toEqual({ ok: true, version: 1, result: 'k@1' });
  });

  it('reads again after a read in flight when a signal comes during it', async () => {
    reads.version = 1;
    const wait = track(waiters.wait({ key: 'k', afterVersion: 1, waitMs: 30_000 }));
    signals.notify('k', 2); // during the first read, which may miss it
    expect(reads.started).toBe(1);
    await reads.answer(); // version 1: not yet
    expect(reads.started).toBe(2);
    reads.version = 2;
    await reads.answer();
    expect(wait.value).toEqual({ ok: true, version: 2, result: 'k@2' });
  });

  it('reads again shortly when a hinted version was not visible yet, and gives up on it at recheckMs', async () => {
    reads.version = 1;
    const wait = track(waiters.wait({ key: 'k', afterVersion: 1, waitMs: 30_000 }));
    await reads.answer();
    signals.notify('k', 2); // stored here first: the read finds a majority still on version 1
    await reads.answer();
    expect(wait.settled).toBe(false);
    reads.version = 2; // chosen now, and no hint will come again
    await jest.advanceTimersByTimeAsync(50);
    expect(reads.started).toBe(3);
    await reads.answer();
    expect(wait.value).toEqual({ ok: true, version: 2, result: 'k@2' });

    // A hinted state that is never chosen: a few reads, 50 ms, 100 ms, ... apart, then only the recheck.
    const other = track(waiters.wait({ key: 'k', afterVersion: 2, waitMs: 30_000 }));
    await reads.answer();
    signals.notify('k', 3);
    await reads.answer();
    const readsWithin = async (ms: number): Promise<number> => {
      let count = 0;
      for (let elapsed = 0; elapsed < ms; elapsed += 10) {
        await jest.advanceTimersByTimeAsync(10);
        while (reads.pending.length > 0) {
          count++;
          await reads.answer();
        }
      }
      return count;
    };
    expect(await readsWithin(RECHECK_MS - 100)).toBe(5); // 50, 150, 350, 750 and 1550 ms after the hint
    await readsWithin(RECHECK_MS * 2);
    expect(await readsWithin(RECHECK_MS)).toBe(1); // later, only the recheck
    expect(other.settled).toBe(false);
  });

  it('answers the current state with a read made after waitMs when nothing changes', async () => {
    reads.version = 5;
    const wait = track(waiters.wait({ key: 'k', afterVersion: 5, waitMs: 1000 }));
    await reads.answer();
    await jest.advanceTimersByTimeAsync(999);
    expect(reads.started).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(reads.started).toBe(2);
    expect(wait.settled).toBe(false);
    await reads.answer();
    expect(wait.value).toEqual({ ok: true, version: 5, result: 'k@5' });
  });

  it('reads every recheckMs without any signal, for a node that missed the accept', async () => {
    reads.version = 1;
    const wait = track(waiters.wait({ key: 'k', afterVersion: 1, waitMs: 30_000 }));
    await reads.answer();
    reads.version = 2; // changed, but no signal reached this node
    await jest.advanceTimersByTimeAsync(RECHECK_MS);
    expect(reads.started).toBe(2);
    await reads.answer();
    expect(wait.value).toEqual({ ok: true, version: 2, result: 'k@2' });
  });

  it('ends a wait whose client went away, and forgets the key', async () => {
    const gone = new AbortController();
    const wait = track(waiters.wait({ key: 'k', afterVersion: 0, waitMs: 30_000, abort: gone.signal }));
    await reads.answer();
    expect(waiters.open).toBe(1);
    gone.abort();
    await flush();
    expect(wait).toEqual({ settled: true, value: undefined });
    expect(waiters.open).toBe(0);
    expect(signals.keysWatched).toBe(0);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(reads.started).toBe(1); // no timer left behind
  });

  it('refuses waits beyond its limit, before reading anything', async () => {
    for (let i = 0; i < 5; i++) void waiters.wait({ key: `k${i}`, afterVersion: 0, waitMs: 30_000 });
    expect(() => waiters.wait({ key: 'k9', afterVersion: 0, waitMs: 30_000 })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_WAITS', kind: 'unavailable' }) as Error,
    );
    expect(reads.started).toBe(5);
  });

  it('answers a failed first read at once, waits on through later failures, and answers a failed last read', async () => {
    reads.failing = true;
    const first = track(waiters.wait({ key: 'a', afterVersion: 0, waitMs: 30_000 }));
    await reads.answer();
    expect(first.value).toEqual(expect.objectContaining({ ok: false }));

    reads.failing = false;
    const wait = track(waiters.wait({ key: 'b', afterVersion: 0, waitMs: 5000 }));
    await reads.answer();
    reads.failing = true;
    await jest.advanceTimersByTimeAsync(RECHECK_MS);
    await reads.answer(); // the safety net's read fails: the wait goes on
    expect(wait.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(5000 - RECHECK_MS);
    await reads.answer(); // the last read fails: that is the answer
    expect(wait.value).toEqual(expect.objectContaining({ ok: false }));
  });

  it('on close, answers every open wait with a read made then and refuses new ones', async () => {
    reads.version = 1;
    const a = track(waiters.wait({ key: 'a', afterVersion: 1, waitMs: 300_000 }));
    const b = track(waiters.wait({ key: 'b', afterVersion: 1, waitMs: 300_000 }));
    await reads.answer();
    await reads.answer();
    const closed = track(waiters.close());
    expect(() => waiters.wait({ key: 'c', waitMs: 1000 })).toThrow(WaitRefusedError);
    await reads.answer();
    await reads.answer();
    expect(a.value).toEqual({ ok: true, version: 1, result: 'a@1' });
    expect(b.value).toEqual({ ok: true, version: 1, result: 'b@1' });
    await flush();
    expect(closed.settled).toBe(true);
    expect(waiters.open).toBe(0);
  });
});
