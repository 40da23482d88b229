import { encodeBallot } from './ballot';
import { KeyChangeSignals, SignallingAcceptorStore } from './key-change-signals';
import { MemoryAcceptorStore } from './testing/memory-acceptor-store';

describe('KeyChangeSignals', () => {
  it('tells the listeners of a key, and only of that key, until they unsubscribe', () => {
    const signals = new KeyChangeSignals();
    const a: number[] = [];
    const b: number[] = [];
    const stopA = signals.subscribe('k', (version) => a.push(version));
    signals.subscribe('k', (version) => b.push(version));
    signals.notify('k', 3);
    signals.notify('other', 9);
    stopA();
    stopA(); // twice is harmless
    signals.notify('k', 4);
    expect(a).toEqual([3]);
    expect(b).toEqual([3, 4]);
    expect(signals.keysWatched).toBe(1);
  });

  it('forgets a key once its last listener is gone', () => {
    const signals = new KeyChangeSignals();
    const stop = signals.subscribe('k', () => undefined);
    expect(signals.keysWatched).toBe(1);
    stop();
    expect(signals.keysWatched).toBe(0);
    signals.notify('k', 1); // no listener: nothing happens
  });
});

describe('SignallingAcceptorStore', () => {
  const ballot = (counter: number) => encodeBallot({ counter, boot: 0, nodeId: 'n1' });
  const state = (version: number) => ({ present: true, value: version, version, lineage: [ballot(version)] });

  it('signals each accept the store stored, with its version, after storing it', async () => {
    const inner = new MemoryAcceptorStore();
    const signals = new KeyChangeSignals();
    const store = new SignallingAcceptorStore(inner, signals);
    const seen: Array<[string, number, boolean]> = [];
    for (const key of ['a', 'b']) {
      signals.subscribe(key, (version) => {
        // stored before the signal: a read that the signal starts can find it
        void inner.peek([key]).then(([reply]) => seen.push([key, version, reply!.accepted !== '']));
      });
    }
    await store.prepare([{ key: 'b', ballot: ballot(5) }]); // b promised 5: an accept at 2 is refused
    const replies = await store.accept([
      { key: 'a', ballot: ballot(2), state: state(1) },
      { key: 'b', ballot: ballot(2), state: state(1) },
    ]);
    expect(replies.map((reply) => reply.ok)).toEqual([true, false]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([['a', 1, true]]);
  });

  it('passes every other call through unchanged', async () => {
    const inner = new MemoryAcceptorStore();
    const store = new SignallingAcceptorStore(inner, new KeyChangeSignals());
    await store.accept([{ key: 'a', ballot: ballot(2), state: state(1) }]);
    expect(await store.peek(['a'])).toEqual(await inner.peek(['a']));
    expect(await store.list({ from: '', fromInclusive: true }, 10)).toEqual(
      await inner.list({ from: '', fromInclusive: true }, 10),
    );
    expect(await store.unsettledTombstones(null, 10)).toEqual([]);
    await store.settle([]);
  });
});
