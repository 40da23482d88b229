import { AcceptorStore } from '../acceptor-store';
import { encodeBallot } from '../ballot';
import { ABSENT, RegisterState } from '../register';

/**
 * The acceptor rules, checked through the AcceptorStore interface alone, so
 * the in-memory store (unit tests) and the PostgreSQL store (integration
 * tests) are held to exactly the same behaviour.
 */
export function describeAcceptorStoreRules(name: string, makeStore: () => Promise<AcceptorStore>): void {
  const b = (counter: number, nodeId = 'n'): string => encodeBallot({ counter, boot: 0, nodeId });
  const state = (value: unknown, version = 1, lineage: string[] = []): RegisterState => ({
    present: true,
    value,
    version,
    lineage,
  });

  describe(`${name}: acceptor rules`, () => {
    let store: AcceptorStore;
    let key: string;
    let counter = 0;
    beforeEach(async () => {
      store = await makeStore();
      key = `k-${++counter}-${Math.random().toString(36).slice(2)}`; // stores may be shared between tests
    });

    it('prepare grants a first ballot and reports nothing accepted', async () => {
      expect(await store.prepare([{ key, ballot: b(1) }])).toEqual([{ key, ok: true, accepted: '', state: ABSENT }]);
    });

    it('prepare refuses a ballot not above the promise, naming the highest seen', async () => {
      await store.prepare([{ key, ballot: b(5) }]);
      expect(await store.prepare([{ key, ballot: b(5) }])).toEqual([{ key, ok: false, seen: b(5) }]);
      expect(await store.prepare([{ key, ballot: b(4) }])).toEqual([{ key, ok: false, seen: b(5) }]);
      expect(await store.prepare([{ key, ballot: b(5, 'z') }])).toEqual([
        { key, ok: true, accepted: '', state: ABSENT },
      ]);
    });

    it('prepare refuses a ballot not above the accepted one, and reports the accepted state above it', async () => {
      await store.accept([{ key, ballot: b(7), state: state('x') }]);
      expect(await store.prepare([{ key, ballot: b(7) }])).toEqual([{ key, ok: false, seen: b(7) }]);
      expect(await store.prepare([{ key, ballot: b(8) }])).toEqual([
        { key, ok: true, accepted: b(7), state: state('x') },
      ]);
    });

    it('accept stores at the promised ballot and peek shows it', async () => {
      await store.prepare([{ key, ballot: b(3) }]);
      expect(await store.accept([{ key, ballot: b(3), state: state({ deep: [1, 'two', null] }, 4) }])).toEqual([
        { key, ok: true },
      ]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(3), state: state({ deep: [1, 'two', null] }, 4) }]);
    });

    it('accept refuses a ballot below the promise and changes nothing', async () => {
      await store.prepare([{ key, ballot: b(6) }]);
      expect(await store.accept([{ key, ballot: b(5), state: state('late') }])).toEqual([
        { key, ok: false, seen: b(6) },
      ]);
      expect(await store.peek([key])).toEqual([{ key, accepted: '', state: ABSENT }]);
    });

    it('accept refuses a lower ballot than the accepted one, and acknowledges a duplicate without change', async () => {
      await store.accept([{ key, ballot: b(4), state: state('first') }]);
      expect(await store.accept([{ key, ballot: b(3), state: state('older') }])).toEqual([
        { key, ok: false, seen: b(4) },
      ]);
      expect(await store.accept([{ key, ballot: b(4), state: state('first') }])).toEqual([{ key, ok: true }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(4), state: state('first') }]);
    });

    it('accept with next promises next in the same step', async () => {
      expect(await store.accept([{ key, ballot: b(2), state: state('v'), next: b(3) }])).toEqual([{ key, ok: true }]);
      expect(await store.prepare([{ key, ballot: b(3) }])).toEqual([{ key, ok: false, seen: b(3) }]);
      expect(await store.accept([{ key, ballot: b(3), state: state('w', 2) }])).toEqual([{ key, ok: true }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(3), state: state('w', 2) }]);
    });

    it('stores a tombstone: absent, with its version', async () => {
      await store.accept([{ key, ballot: b(1), state: state('x') }]);
      const tombstone = { present: false, value: null, version: 2, lineage: [b(2), b(1), ''] };
      await store.accept([{ key, ballot: b(2), state: tombstone }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(2), state: tombstone }]);
    });

    it('reports a key never written, or only promised, as the origin: ABSENT, whose lineage is the empty id', async () => {
      expect(ABSENT.lineage).toEqual(['']);
      expect(await store.peek([key])).toEqual([{ key, accepted: '', state: ABSENT }]);
      await store.prepare([{ key, ballot: b(1) }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: '', state: ABSENT }]);
    });

    it('stores the lineage with the state, in order, and hands it back from prepare, peek and replacement', async () => {
      const lineage = [b(7), b(5, 'z'), b(2), ''];
      await store.accept([{ key, ballot: b(7), state: state('x', 3, lineage), next: b(8) }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(7), state: state('x', 3, lineage) }]);
      expect(await store.prepare([{ key, ballot: b(9) }])).toEqual([
        { key, ok: true, accepted: b(7), state: state('x', 3, lineage) },
      ]);
      // A later accept replaces it whole, a shorter one included (an identity round keeps the
      // lineage it found; a new version's is cut to the limit).
      await store.accept([{ key, ballot: b(9), state: state('y', 4, [b(9)]) }]);
      expect(await store.peek([key])).toEqual([{ key, accepted: b(9), state: state('y', 4, [b(9)]) }]);
    });

    it('keeps an empty lineage ("not known") apart from the origin\'s', async () => {
      await store.accept([{ key, ballot: b(1), state: state('legacy', 1, []) }]);
      await store.accept([{ key: `${key}-o`, ballot: b(1), state: state('fresh', 1, [b(1), '']) }]);
      expect((await store.peek([key, `${key}-o`])).map((reply) => reply.state.lineage)).toEqual([[], [b(1), '']]);
    });

    it('keeps each key of a batch independent, replies in request order', async () => {
      const [a, c] = [`${key}-a`, `${key}-c`];
      await store.prepare([{ key: a, ballot: b(9) }]);
      const prepared = await store.prepare([
        { key: c, ballot: b(2) },
        { key: a, ballot: b(2) },
      ]);
      expect(prepared.map((r) => [r.key, r.ok])).toEqual([
        [c, true],
        [a, false],
      ]);
      const accepted = await store.accept([
        { key: a, ballot: b(2), state: state(1) },
        { key: c, ballot: b(2), state: state(2) },
      ]);
      expect(accepted).toEqual([
        { key: a, ok: false, seen: b(9) },
        { key: c, ok: true },
      ]);
      expect((await store.peek([c, a, `${key}-none`])).map((r) => r.state)).toEqual([state(2), ABSENT, ABSENT]);
    });

    it('refuses a batch that names a key twice', async () => {
      await expect(
        store.prepare([
          { key, ballot: b(1) },
          { key, ballot: b(2) },
        ]),
      ).rejects.toThrow();
    });

    it('answers empty batches with nothing', async () => {
      expect(await store.prepare([])).toEqual([]);
      expect(await store.accept([])).toEqual([]);
      expect(await store.peek([])).toEqual([]);
      await expect(store.settle([])).resolves.toBeUndefined();
    });
  });

  describe(`${name}: listing and settling`, () => {
    const tombstone = (version: number): RegisterState => ({ present: false, value: null, version, lineage: [] });
    let store: AcceptorStore;
    /** Every test's keys start with its own prefix: stores may be shared between tests. */
    let p: string;
    let counter = 0;
    const byPrefix = () => ({ from: p, fromInclusive: true, prefix: p });
    const keysOf = (replies: readonly { key: string }[]) => replies.map((reply) => reply.key.slice(p.length));
    const ownTombstones = async () =>
      keysOf((await store.unsettledTombstones(p, 1000)).filter((reply) => reply.key.startsWith(p)));
    beforeEach(async () => {
      store = await makeStore();
      p = `list-${++counter}-${Math.random().toString(36).slice(2)}/`;
    });

    it('lists present registers and unsettled tombstones in byte order, as peek reports them, never promise-only rows', async () => {
      await store.accept([
        { key: `${p}b`, ballot: b(1), state: state('b') },
        { key: `${p}a`, ballot: b(1), state: state('a', 3) },
        { key: `${p}c`, ballot: b(2), state: tombstone(2) },
      ]);
      await store.prepare([{ key: `${p}aa`, ballot: b(5) }]);
      const listed = await store.list(byPrefix(), 100);
      expect(listed).toEqual([
        { key: `${p}a`, accepted: b(1), state: state('a', 3) },
        { key: `${p}b`, accepted: b(1), state: state('b') },
        { key: `${p}c`, accepted: b(2), state: tombstone(2) },
      ]);
    });

    it('orders keys by their UTF-8 bytes (code points), not by UTF-16 units', async () => {
      const names = ['😀', '\uE000', 'é', 'z', 'a'];
      await store.accept(names.map((n) => ({ key: p + n, ballot: b(1), state: state(n) })));
      expect(keysOf(await store.list(byPrefix(), 100))).toEqual(['a', 'z', 'é', '\uE000', '😀']);
    });

    it('honours the bounds: from inclusive or not, end exclusive, prefix, limit', async () => {
      await store.accept(['a', 'b', 'c', 'd', 'e'].map((n) => ({ key: p + n, ballot: b(1), state: state(n) })));
      await store.accept([{ key: `${p.slice(0, -1)}0`, ballot: b(1), state: state('outside the prefix') }]);
      expect(keysOf(await store.list({ from: `${p}b`, fromInclusive: true, end: `${p}d`, prefix: p }, 10))).toEqual([
        'b',
        'c',
      ]);
      expect(keysOf(await store.list({ from: `${p}b`, fromInclusive: false, prefix: p }, 10))).toEqual(['c', 'd', 'e']);
      expect(keysOf(await store.list(byPrefix(), 2))).toEqual(['a', 'b']);
      expect(keysOf(await store.list({ from: `${p}c`, fromInclusive: true, end: `${p}c` }, 10))).toEqual([]);
    });

    it('settles a tombstone proven at its ballot or above: no longer listed, nor offered to the settler', async () => {
      await store.accept([
        { key: `${p}gone`, ballot: b(2), state: tombstone(2) },
        { key: `${p}also`, ballot: b(2), state: tombstone(1) },
        { key: `${p}live`, ballot: b(1), state: state('x') },
      ]);
      expect(await ownTombstones()).toEqual(['also', 'gone']);
      await store.settle([
        { key: `${p}gone`, ballot: b(2) },
        { key: `${p}also`, ballot: b(3) },
        { key: `${p}live`, ballot: b(1) },
      ]);
      expect(keysOf(await store.list(byPrefix(), 100))).toEqual(['live']);
      expect(await ownTombstones()).toEqual([]);
      expect(await store.peek([`${p}gone`])).toEqual([{ key: `${p}gone`, accepted: b(2), state: tombstone(2) }]);
    });

    it('does not settle a tombstone accepted above the proven ballot, and an accept after settling makes a key listable again', async () => {
      await store.accept([
        { key: `${p}newer`, ballot: b(4), state: tombstone(2) },
        { key: `${p}again`, ballot: b(1), state: tombstone(1) },
      ]);
      await store.settle([
        { key: `${p}newer`, ballot: b(3) },
        { key: `${p}again`, ballot: b(1) },
      ]);
      expect(keysOf(await store.list(byPrefix(), 100))).toEqual(['newer']);
      await store.accept([{ key: `${p}again`, ballot: b(5), state: tombstone(2) }]);
      expect(await ownTombstones()).toEqual(['again', 'newer']);
      await store.accept([{ key: `${p}again`, ballot: b(6), state: state('back', 3) }]);
      expect(keysOf(await store.list(byPrefix(), 100))).toEqual(['again', 'newer']);
      expect(await ownTombstones()).toEqual(['newer']);
    });

    it('hands out unsettled tombstones in pages, after a key', async () => {
      await store.accept(['a', 'b', 'c'].map((n) => ({ key: p + n, ballot: b(1), state: tombstone(1) })));
      expect(keysOf(await store.unsettledTombstones(`${p}a`, 1))).toEqual(['b']);
    });
  });

  describe(`${name}: expiring registers`, () => {
    let store: AcceptorStore;
    let p: string;
    let counter = 0;
    /**
     * Expiry times far in the past, each test's a million ms below the previous
     * test's, so that rows earlier tests left in a shared store all expire after
     * every time this test asks about, and never take a place in its answers.
     */
    let t0: number;
    const expiring = (value: unknown, expiresAt: number, version = 1): RegisterState => ({
      present: true,
      value,
      version,
      expiresAt,
      lineage: [],
    });
    const ownKeys = (replies: readonly { key: string }[]) =>
      replies.filter((reply) => reply.key.startsWith(p)).map((reply) => reply.key.slice(p.length));
    /** Only this test's rows: those with an expiry at or after t0. */
    const expiredBy = async (time: number, limit = 100) =>
      (await store.expiredBy(time, limit)).filter((reply) => (reply.state.expiresAt ?? 0) >= t0);
    beforeEach(async () => {
      store = await makeStore();
      counter += 1;
      p = `expiry-${counter}-${Math.random().toString(36).slice(2)}/`;
      t0 = 1_000_000_000_000 - counter * 1_000_000;
    });

    it('stores an expiry with the state and hands it back from prepare, peek and list', async () => {
      await store.accept([{ key: `${p}a`, ballot: b(1), state: expiring('x', t0 + 5) }]);
      expect(await store.peek([`${p}a`])).toEqual([{ key: `${p}a`, accepted: b(1), state: expiring('x', t0 + 5) }]);
      expect(await store.prepare([{ key: `${p}a`, ballot: b(2) }])).toEqual([
        { key: `${p}a`, ok: true, accepted: b(1), state: expiring('x', t0 + 5) },
      ]);
      expect(await store.list({ from: p, fromInclusive: true, prefix: p }, 10)).toEqual([
        { key: `${p}a`, accepted: b(1), state: expiring('x', t0 + 5) },
      ]);
    });

    it('reports present registers whose expiry has come, soonest first, up to the limit', async () => {
      await store.accept([
        { key: `${p}late`, ballot: b(1), state: expiring('l', t0 + 30) },
        { key: `${p}soon`, ballot: b(1), state: expiring('s', t0 + 10) },
        { key: `${p}mid`, ballot: b(1), state: expiring('m', t0 + 20) },
        { key: `${p}later`, ballot: b(1), state: expiring('f', t0 + 40) },
        { key: `${p}never`, ballot: b(1), state: state('n') },
      ]);
      expect(ownKeys(await expiredBy(t0 + 30))).toEqual(['soon', 'mid', 'late']);
      expect(ownKeys(await expiredBy(t0 + 29))).toEqual(['soon', 'mid']);
      expect(ownKeys(await expiredBy(t0 + 9))).toEqual([]);
      const [first] = await expiredBy(t0 + 30, 1);
      expect(first).toEqual({ key: `${p}soon`, accepted: b(1), state: expiring('s', t0 + 10) });
    });

    it('forgets the expiry when an accept replaces the state without one, or with a tombstone', async () => {
      await store.accept([
        { key: `${p}kept`, ballot: b(1), state: expiring('k', t0 + 1) },
        { key: `${p}permanent`, ballot: b(1), state: expiring('p', t0 + 1) },
        { key: `${p}deleted`, ballot: b(1), state: expiring('d', t0 + 1) },
        { key: `${p}renewed`, ballot: b(1), state: expiring('r', t0 + 1) },
      ]);
      await store.accept([
        { key: `${p}permanent`, ballot: b(2), state: state('p', 2) },
        { key: `${p}deleted`, ballot: b(2), state: { present: false, value: null, version: 2, lineage: [] } },
        { key: `${p}renewed`, ballot: b(2), state: expiring('r', t0 + 50, 2) },
      ]);
      expect(ownKeys(await expiredBy(t0 + 10))).toEqual(['kept']);
      expect(ownKeys(await expiredBy(t0 + 50))).toEqual(['kept', 'renewed']);
      expect((await store.peek([`${p}permanent`, `${p}deleted`])).map((reply) => reply.state.expiresAt)).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('is not moved by a refused accept or a promise', async () => {
      await store.accept([{ key: `${p}k`, ballot: b(5), state: expiring('k', t0 + 100) }]);
      await store.accept([{ key: `${p}k`, ballot: b(4), state: expiring('older', t0 + 1) }]);
      await store.prepare([{ key: `${p}k`, ballot: b(9) }]);
      expect(ownKeys(await expiredBy(t0 + 99))).toEqual([]);
      expect(ownKeys(await expiredBy(t0 + 100))).toEqual(['k']);
    });
  });
}
