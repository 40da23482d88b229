import { encodeBallot } from '../ballot';
import { MemoryAcceptorStore } from './memory-acceptor-store';
import { ABSENT, RegisterState } from '../register';

const b = (counter: number, nodeId = 'n'): string => encodeBallot({ counter, boot: 0, nodeId });
const state = (value: unknown, version = 1): RegisterState => ({ present: true, value, version, lineage: [] });

describe('MemoryAcceptorStore', () => {
  let store: MemoryAcceptorStore;
  beforeEach(() => {
    store = new MemoryAcceptorStore();
  });

  describe('prepare', () => {
    it('grants a higher ballot and reports the accepted state', async () => {
      expect(await store.prepare([{ key: 'k', ballot: b(1) }])).toEqual([
        { key: 'k', ok: true, accepted: '', state: ABSENT },
      ]);
      expect(store.inspect('k').promised).toBe(b(1));
    });

    it('refuses a ballot not above the promise, naming the highest seen', async () => {
      await store.prepare([{ key: 'k', ballot: b(5) }]);
      expect(await store.prepare([{ key: 'k', ballot: b(5) }])).toEqual([{ key: 'k', ok: false, seen: b(5) }]);
      expect(await store.prepare([{ key: 'k', ballot: b(4) }])).toEqual([{ key: 'k', ok: false, seen: b(5) }]);
    });

    it('refuses a ballot not above the accepted one', async () => {
      await store.accept([{ key: 'k', ballot: b(7), state: state('x') }]);
      expect(await store.prepare([{ key: 'k', ballot: b(7) }])).toEqual([{ key: 'k', ok: false, seen: b(7) }]);
      expect(await store.prepare([{ key: 'k', ballot: b(8) }])).toEqual([
        { key: 'k', ok: true, accepted: b(7), state: state('x') },
      ]);
    });

    it('treats each key of a batch independently', async () => {
      await store.prepare([{ key: 'a', ballot: b(9) }]);
      const replies = await store.prepare([
        { key: 'a', ballot: b(2) },
        { key: 'b', ballot: b(2) },
      ]);
      expect(replies.map((r) => r.ok)).toEqual([false, true]);
    });

    it('rejects a batch naming a key twice', async () => {
      await expect(
        store.prepare([
          { key: 'a', ballot: b(1) },
          { key: 'a', ballot: b(2) },
        ]),
      ).rejects.toThrow(RangeError);
    });
  });

  describe('accept', () => {
    it('stores at the promised ballot', async () => {
      await store.prepare([{ key: 'k', ballot: b(3) }]);
      expect(await store.accept([{ key: 'k', ballot: b(3), state: state('v') }])).toEqual([{ key: 'k', ok: true }]);
      expect(store.inspect('k')).toEqual({ promised: b(3), accepted: b(3), state: state('v') });
    });

    it('refuses a ballot below the promise', async () => {
      await store.prepare([{ key: 'k', ballot: b(3) }]);
      expect(await store.accept([{ key: 'k', ballot: b(2), state: state('v') }])).toEqual([
        { key: 'k', ok: false, seen: b(3) },
      ]);
      expect(store.inspect('k').state).toEqual(ABSENT);
    });

    it('refuses a ballot not above the accepted one (unless it is the same)', async () => {
      await store.accept([{ key: 'k', ballot: b(5), state: state('new') }]);
      expect(await store.accept([{ key: 'k', ballot: b(4), state: state('old') }])).toEqual([
        { key: 'k', ok: false, seen: b(5) },
      ]);
    });

    it('acknowledges a duplicate without changing anything', async () => {
      await store.accept([{ key: 'k', ballot: b(5), state: state('v'), next: b(6) }]);
      await store.prepare([{ key: 'k', ballot: b(9) }]);
      expect(await store.accept([{ key: 'k', ballot: b(5), state: state('v'), next: b(6) }])).toEqual([
        { key: 'k', ok: true },
      ]);
      expect(store.inspect('k')).toEqual({ promised: b(9), accepted: b(5), state: state('v') });
    });

    it('promises `next` in the same step, so lower ballots are refused and `next` itself is accepted', async () => {
      await store.accept([{ key: 'k', ballot: b(1), state: state(1), next: b(2) }]);
      expect(store.inspect('k').promised).toBe(b(2));
      expect((await store.prepare([{ key: 'k', ballot: b(2, 'a') }]))[0]!.ok).toBe(false);
      expect((await store.accept([{ key: 'k', ballot: b(2), state: state(2, 2), next: b(3) }]))[0]!.ok).toBe(true);
      expect(store.inspect('k')).toEqual({ promised: b(3), accepted: b(2), state: state(2, 2) });
    });
  });

  describe('peek', () => {
    it('reports the accepted state and changes nothing', async () => {
      await store.accept([{ key: 'k', ballot: b(1), state: state('v'), next: b(2) }]);
      expect(await store.peek(['k', 'other'])).toEqual([
        { key: 'k', accepted: b(1), state: state('v') },
        { key: 'other', accepted: '', state: ABSENT },
      ]);
      expect(store.inspect('k').promised).toBe(b(2));
      expect(store.inspect('other').promised).toBe('');
    });
  });

  it('forgets everything when wiped', async () => {
    await store.accept([{ key: 'k', ballot: b(1), state: state('v') }]);
    store.wipe();
    expect(store.inspect('k')).toEqual({ promised: '', accepted: '', state: ABSENT });
  });
});
