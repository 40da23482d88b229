import { setTimeout as sleep } from 'node:timers/promises';
import { rendezvousChoice } from '../../src/replication/routing/key-router';
import { expectErrorBody, http, HttpResult, kvPath } from '../support/http';
import { TestCluster, printClusterLogsOnFailure } from '../support/cluster';

/**
 * Expiring keys (ttlSeconds) on three real node processes. Expiry is a quorum
 * delete run in the background, so tests wait for it by polling; the only
 * bound on its delay is a generous one against hangs (how fast it is, is
 * measured by bench/expiry-delay.ts, never asserted here).
 */
describe('expiring keys (three-node cluster)', () => {
  let cluster: TestCluster;
  const nodes = ['n1', 'n2', 'n3'];
  /** Longest wait for an expiry to show, after its time: far above the ~1 s the design allows. */
  const GENEROUS_MS = 5_000;
  const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  /** ms from each key's expiresAt to the first 404 seen, for the log at the end. */
  const delays: number[] = [];

  const put = (node: string, key: string, body: object, headers: Record<string, string> = {}) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: body, headers });
  const get = (node: string, key: string) => http(cluster.url(node), 'GET', kvPath(key));
  const del = (node: string, key: string, headers: Record<string, string> = {}) =>
    http(cluster.url(node), 'DELETE', kvPath(key), { headers });
  const batch = (node: string, items: object[]) =>
    http(cluster.url(node), 'POST', '/kv-store/v1/kv/batch', { json: { items } });
  const expiresAtOf = (result: HttpResult): number => Date.parse(result.body.expiresAt as string);

  /** Polls `node` until the key reads 404; the time from its expiry to that 404. */
  async function waitUntilGone(node: string, key: string, expiresAt: number): Promise<number> {
    const giveUpAt = expiresAt + GENEROUS_MS;
    for (;;) {
      const result = await get(node, key);
      if (result.status === 404) return Date.now() - expiresAt;
      expect(result.status).toBe(200);
      if (Date.now() > giveUpAt) throw new Error(`${key} still present on ${node} ${GENEROUS_MS} ms after it expired`);
      await sleep(10);
    }
  }

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '2000' });
  }, 60_000);
  afterAll(async () => {
    if (delays.length > 0) {
      const sorted = [...delays].sort((a, b) => a - b);
      console.log(
        `expiry delay (expiresAt to first 404), ${sorted.length} keys: ` +
          `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
      );
    }
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('answers a TTL write with expiresAt (RFC 3339, UTC) on PUT, GET and listings of every node, and expires the key everywhere', async () => {
    const sentAt = Date.now();
    const written = await put('n1', 'ttl/basic', { value: { a: 1 }, ttlSeconds: 1 });
    const answeredAt = Date.now();
    expect(written.status).toBe(201);
    expect(written.body).toEqual({ key: 'ttl/basic', value: { a: 1 }, version: 1, expiresAt: expect.any(String) });
    expect(written.body.expiresAt).toMatch(RFC3339_UTC);
    const expiresAt = expiresAtOf(written);
    // Fixed by the proposer as it applied the write: between sending it and its acknowledgement, plus the TTL.
    expect(expiresAt).toBeGreaterThanOrEqual(sentAt + 1000);
    expect(expiresAt).toBeLessThanOrEqual(answeredAt + 1000);

    for (const node of nodes) {
      const read = await get(node, 'ttl/basic');
      if (Date.now() >= expiresAt) break; // too slow a machine to see it before its time: the rest still holds
      expect(read.status).toBe(200);
      expect(read.body).toEqual(written.body);
      const listed = await http(cluster.url(node), 'GET', '/kv-store/v1/kv?prefix=ttl/basic');
      expect(listed.body.items).toEqual([written.body]);
    }

    const delay = await waitUntilGone('n2', 'ttl/basic', expiresAt);
    delays.push(delay);
    expect(delay).toBeGreaterThanOrEqual(0); // never before its time (one clock here)
    // Once one client has seen it gone, no node shows it again; nor do listings.
    for (const node of nodes) {
      expectErrorBody(await get(node, 'ttl/basic'), 404);
      expect((await http(cluster.url(node), 'GET', '/kv-store/v1/kv?prefix=ttl/basic')).body.items).toEqual([]);
    }
    // The expiry was a delete: a new version, so the next write is version 3.
    const again = await put('n3', 'ttl/basic', { value: 'back' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ key: 'ttl/basic', value: 'back', version: 3 });
  });

  it('replaces the expiry on a later PUT with a TTL, and drops it on one without', async () => {
    const first = await put('n1', 'ttl/renewed', { value: 1, ttlSeconds: 1 });
    const renewed = await put('n2', 'ttl/renewed', { value: 2, ttlSeconds: 3600 });
    expect(renewed.status).toBe(200);
    expect(expiresAtOf(renewed)).toBeGreaterThan(expiresAtOf(first) + 3_000_000);

    const permanent = await put('n1', 'ttl/permanent', { value: 1, ttlSeconds: 1 });
    const madePermanent = await put('n3', 'ttl/permanent', { value: 2 });
    expect(madePermanent.body).toEqual({ key: 'ttl/permanent', value: 2, version: 2 });

    // Past the first expiry and the expirer's reaction to it: both keys are still there.
    await sleep(Math.max(0, expiresAtOf(permanent) + 1500 - Date.now()));
    for (const node of nodes) {
      const read = await get(node, 'ttl/renewed');
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key: 'ttl/renewed', value: 2, version: 2, expiresAt: renewed.body.expiresAt });
      expect((await get(node, 'ttl/permanent')).body).toEqual({ key: 'ttl/permanent', value: 2, version: 2 });
    }
  });

  it.each([0, -1, 31_536_001, 1.5, 'x', null, '60'])(
    'refuses ttlSeconds %p with a 400, in a PUT and in a batch item, changing nothing',
    async (ttlSeconds) => {
      const key = `ttl/bad-${String(ttlSeconds)}`;
      expect((await put('n1', key, { value: 'before' })).status).toBe(201);
      const refused = await put('n2', key, { value: 'after', ttlSeconds });
      expectErrorBody(refused, 400);
      expect(refused.body.message).toEqual(expect.stringContaining('ttlSeconds'));
      expectErrorBody(
        await batch('n3', [
          { key: `${key}-other`, value: 1 },
          { key, value: 'after', ttlSeconds },
        ]),
        400,
      );
      for (const node of nodes) expect((await get(node, key)).body).toEqual({ key, value: 'before', version: 1 });
      expect((await get('n1', `${key}-other`)).status).toBe(404);
    },
  );

  it('takes ttlSeconds in batch items: each result carries its own expiry, and only those keys expire', async () => {
    const result = await batch('n2', [
      { key: 'ttl/batch-a', value: 'a', ttlSeconds: 1 },
      { key: 'ttl/batch-b', value: 'b' },
      { key: 'ttl/batch-c', value: 'c', ttlSeconds: 600 },
    ]);
    expect(result.status).toBe(200);
    const [a, b, c] = result.body.results as Array<{ key: string; status: number; expiresAt?: string }>;
    expect(a).toEqual({ key: 'ttl/batch-a', status: 201, version: 1, expiresAt: expect.stringMatching(RFC3339_UTC) });
    expect(b).toEqual({ key: 'ttl/batch-b', status: 201, version: 1 });
    expect(c!.expiresAt).toMatch(RFC3339_UTC);

    delays.push(await waitUntilGone('n3', 'ttl/batch-a', Date.parse(a!.expiresAt!)));
    expect((await get('n1', 'ttl/batch-b')).status).toBe(200);
    expect((await get('n1', 'ttl/batch-c')).body.expiresAt).toBe(c!.expiresAt);
  });

  it('serves as a lock: of two clients taking it at once exactly one wins; it is renewed with If-Match, released with DELETE If-Match, and lapses when not renewed', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `ttl/lock-${round}`;
      const take = (node: string, owner: string) =>
        put(node, key, { value: { owner }, ttlSeconds: 2 }, { 'if-none-match': '*' });
      const [x, y] = await Promise.all([take('n1', 'x'), take('n2', 'y')]);
      expect([x.status, y.status].sort()).toEqual([201, 412]);
      const [winner, loser] = x.status === 201 ? [x, y] : [y, x];
      expectErrorBody(loser, 412);

      // Renew: If-Match the version it holds, with the same TTL. The loser's attempt fails.
      const renewed = await put(
        'n3',
        key,
        { value: winner.body.value, ttlSeconds: 2 },
        { 'if-match': `"${winner.body.version}"` },
      );
      expect(renewed.status).toBe(200);
      expect(expiresAtOf(renewed)).toBeGreaterThanOrEqual(expiresAtOf(winner));
      expectErrorBody(await take('n3', 'late'), 412);
      expectErrorBody(await put('n1', key, { value: 'steal', ttlSeconds: 2 }, { 'if-match': '"1"' }), 412);

      // Release, after which anyone can take it.
      expectErrorBody(await del('n2', key, { 'if-match': '"1"' }), 412);
      expect((await del('n2', key, { 'if-match': `"${renewed.body.version}"` })).status).toBe(204);
      expect((await take('n1', 'next')).status).toBe(201);
    }

    // A holder that stops renewing loses the lock at its expiry; then the next client takes it.
    const lapsing = await put('n1', 'ttl/lock-lapse', { value: 'x', ttlSeconds: 1 }, { 'if-none-match': '*' });
    expect(lapsing.status).toBe(201);
    delays.push(await waitUntilGone('n2', 'ttl/lock-lapse', expiresAtOf(lapsing)));
    const next = await put('n3', 'ttl/lock-lapse', { value: 'y', ttlSeconds: 1 }, { 'if-none-match': '*' });
    expect(next.status).toBe(201);
    expect(next.body.version).toBe(3);
    // The old holder's renewal, against the version it took, fails: the expiry was a new version.
    expectErrorBody(await put('n1', 'ttl/lock-lapse', { value: 'x', ttlSeconds: 1 }, { 'if-match': '"1"' }), 412);
  });

  it("is expired by another node when the key's preferred node is down", async () => {
    const key = Array.from({ length: 100 }, (_, i) => `ttl/orphan-${i}`).find(
      (candidate) => rendezvousChoice(candidate, nodes) === 'n3',
    )!;
    const written = await put('n1', key, { value: 'orphan', ttlSeconds: 2 });
    expect(written.status).toBe(201);
    await cluster.kill('n3');
    const expiresAt = expiresAtOf(written);
    delays.push(await waitUntilGone('n1', key, expiresAt));
    expectErrorBody(await get('n2', key), 404);

    // The node comes back, and its linearizable read agrees with the others.
    await cluster.startNode('n3');
    await cluster.waitUntilReady(['n3'], 30_000);
    expectErrorBody(await get('n3', key), 404);
  }, 60_000);
});
