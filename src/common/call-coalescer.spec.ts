import { CallCoalescer } from './call-coalescer';

interface Reply {
  key: string;
}

/** A destination whose calls finish only when the test says so. */
function controlledSend() {
  const calls: Array<{ keys: string[]; finish: () => void }> = [];
  const send = (keys: string[]) =>
    new Promise<Reply[]>((resolve) => calls.push({ keys, finish: () => resolve(keys.map((key) => ({ key }))) }));
  return { calls, send };
}

const flushNow = (flush: () => void) => flush();
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CallCoalescer', () => {
  it('sends at once when idle, and gathers while the in-flight limit is reached (group commit)', async () => {
    const { calls, send } = controlledSend();
    const coalescer = new CallCoalescer<string, Reply>(
      'peek',
      { maxBatchSize: 100, maxInFlight: 1, schedule: flushNow, target: 't' },
      (k) => k,
      send,
    );

    const first = coalescer.call(['a']);
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    const gathered = [coalescer.call(['b']), coalescer.call(['c']), coalescer.call(['d'])];
    expect(calls).toHaveLength(1); // held back while 'a' is in flight

    calls[0]!.finish();
    expect(await first).toEqual([{ key: 'a' }]);
    await settle();
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1]!.finish();
    expect(await Promise.all(gathered)).toEqual([[{ key: 'b' }], [{ key: 'c' }], [{ key: 'd' }]]);
  });

  it('allows up to maxInFlight calls at once', async () => {
    const { calls, send } = controlledSend();
    const coalescer = new CallCoalescer<string, Reply>(
      'peek',
      { maxBatchSize: 1, maxInFlight: 2, schedule: flushNow, target: 't' },
      (k) => k,
      send,
    );
    void coalescer.call(['a']);
    void coalescer.call(['b']);
    void coalescer.call(['c']);
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b']]);
    calls[0]!.finish();
    await settle();
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b'], ['c']]);
    calls.forEach((call) => call.finish());
  });

  it('fails the callers of a failed batch and goes on with the next', async () => {
    let attempt = 0;
    const coalescer = new CallCoalescer<string, Reply>(
      'accept',
      { maxBatchSize: 100, maxInFlight: 1, schedule: flushNow, target: 't' },
      (k) => k,
      async (keys) => {
        if (attempt++ === 0) throw new Error('peer down');
        return keys.map((key) => ({ key }));
      },
    );
    await expect(coalescer.call(['a'])).rejects.toThrow('peer down');
    await expect(coalescer.call(['b'])).resolves.toEqual([{ key: 'b' }]);
  });

  it('times a caller out on its own budget even while its batch waits', async () => {
    const { send } = controlledSend();
    const coalescer = new CallCoalescer<string, Reply>(
      'peek',
      { maxBatchSize: 100, maxInFlight: 1, schedule: flushNow, target: 't' },
      (k) => k,
      send,
    );
    void coalescer.call(['a']); // never finishes
    await expect(coalescer.call(['b'], 20)).rejects.toThrow();
  });

  it('lingers before a second call while one is in flight, but never when idle', async () => {
    jest.useFakeTimers();
    try {
      const { calls, send } = controlledSend();
      const settings = { maxBatchSize: 100, maxInFlight: 2, schedule: flushNow, lingerMs: 5, target: 't' };
      const coalescer = new CallCoalescer<string, Reply>('accept', settings, (k) => k, send);

      void coalescer.call(['a']);
      expect(calls.map((c) => c.keys)).toEqual([['a']]); // idle: sent at once
      void coalescer.call(['b']);
      void coalescer.call(['c']);
      expect(calls).toHaveLength(1); // a slot is free, but 'a' is out: gather first
      jest.advanceTimersByTime(4);
      void coalescer.call(['d']);
      expect(calls).toHaveLength(1);
      jest.advanceTimersByTime(1);
      expect(calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c', 'd']]);
      calls.forEach((call) => call.finish());
    } finally {
      jest.useRealTimers();
    }
  });
});
