import { PeerChannel } from '../../src/peer-transport/peer-channel';
import { queryDatabase } from '../support/database';
import { expectErrorBody, http, kvPath } from '../support/http';
import { TEST_CLUSTER_SECRET, TestCluster, printClusterLogsOnFailure } from '../support/cluster';

const REQUEST_TIMEOUT_MS = 1500;

/**
 * Three real node processes on real PostgreSQL, talking over loopback HTTP.
 */
describe('three-node cluster', () => {
  let cluster: TestCluster;
  const put = (node: string, key: string, value: unknown, headers?: Record<string, string>) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: { value }, headers });
  const get = (node: string, key: string, query = '') => http(cluster.url(node), 'GET', `${kvPath(key)}${query}`);

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('a write on one node is read on every other', async () => {
    expect((await put('n1', 'shared', { from: 'n1' })).status).toBe(201);
    for (const node of ['n2', 'n3']) {
      const read = await get(node, 'shared');
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key: 'shared', value: { from: 'n1' }, version: 1 });
    }
    expect((await put('n3', 'shared', 'from n3')).body.version).toBe(2);
    expect((await get('n1', 'shared')).body.value).toBe('from n3');
  });

  it("stores each acknowledged write on a majority of the nodes' databases", async () => {
    expect((await put('n2', 'majority', 42)).status).toBe(201);
    const copies = await Promise.all(
      cluster.nodes.map((node) =>
        queryDatabase(node.database.url, "SELECT value FROM kv_register WHERE key = 'majority' AND present"),
      ),
    );
    expect(copies.filter((rows) => rows.length === 1 && rows[0]!.value === 42).length).toBeGreaterThanOrEqual(2);
  });

  it('compare-and-set across nodes: of concurrent If-Match writers, exactly one wins each version', async () => {
    const created = await put('n1', 'contended', 0);
    let version: number = created.body.version;
    for (let round = 0; round < 5; round++) {
      const attempts = await Promise.all(
        ['n1', 'n2', 'n3', 'n1', 'n2', 'n3'].map((node, i) =>
          put(node, 'contended', `${round}-${i}`, { 'if-match': `"${version}"` }),
        ),
      );
      const statuses = attempts.map((a) => a.status);
      // 503 would be "outcome unknown"; with all nodes up, contention must resolve as 200 or 412.
      expect(statuses.every((s) => s === 200 || s === 412)).toBe(true);
      const winners = attempts.filter((a) => a.status === 200);
      expect(winners).toHaveLength(1);
      const read = await get('n2', 'contended');
      expect(read.body).toEqual({ key: 'contended', value: winners[0]!.body.value, version: version + 1 });
      version += 1;
    }
  });

  it('the peer API refuses requests without the cluster secret, and changes nothing', async () => {
    expect((await put('n1', 'guarded', 'original')).status).toBe(201);
    const forged = {
      requests: [
        {
          key: 'guarded',
          ballot: 'ffffffffffffff.ffffffff.evil',
          state: { present: true, value: 'forged', version: 99 },
        },
      ],
    };
    const noSecret = await http(cluster.url('n2'), 'POST', '/internal/v1/accept', { json: forged });
    expectErrorBody(noSecret, 401);
    const wrongSecret = await http(cluster.url('n2'), 'POST', '/internal/v1/accept', {
      json: forged,
      headers: { authorization: `Bearer ${TEST_CLUSTER_SECRET}x` },
    });
    expectErrorBody(wrongSecret, 401);
    // The same on the peer channel, which is how nodes normally send accepts.
    for (const authorization of ['', `Bearer ${TEST_CLUSTER_SECRET}x`]) {
      const channel = new PeerChannel({
        url: cluster.url('n2'),
        apiPrefix: 'internal/v1',
        authorization,
        maxFrameChars: 1 << 20,
      });
      try {
        await expect(channel.call('accept', forged, 2000, { idempotent: true })).rejects.toMatchObject({
          failure: 'refused',
          status: 401,
        });
      } finally {
        channel.close();
      }
    }
    expect((await get('n2', 'guarded', '?consistency=local')).body.value).toBe('original');
    expect((await get('n1', 'guarded')).body.value).toBe('original');
  });

  it("no header lets a client skip the quorum (the origin system's X-Replication)", async () => {
    await cluster.kill('n2');
    await cluster.kill('n3');
    try {
      const skipped = await http(cluster.url('n1'), 'PUT', kvPath('local-only'), {
        json: { value: 1 },
        headers: { 'x-replication': 'false', 'X-Replication': 'local' },
      });
      expectErrorBody(skipped, 503);
    } finally {
      await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    }
  }, 60_000);

  it('keeps writing through a kill -9 of one node under load, loses no acknowledged write, and catches the node up', async () => {
    // Each writer owns its keys and writes increasing values to them, one at a time. Per key: the
    // last acknowledged value and the unanswered or failed writes after it, whose outcome is
    // unknown (a 503 may have taken effect). A read must return one of those, nothing older.
    const keys = new Map<string, { acknowledged?: number; unknownAfter: number[] }>();
    const acknowledgedBy = { beforeKill: new Map<string, number>(), afterKill: new Map<string, number>() };
    let killed = false;
    let stop = false;
    const writers = ['n1', 'n2', 'n3'].map(async (node, writer) => {
      for (let i = 0; !stop; i++) {
        const key = `load-${writer}-${i % 20}`;
        const entry = keys.get(key) ?? { unknownAfter: [] };
        keys.set(key, entry);
        const phase = killed ? acknowledgedBy.afterKill : acknowledgedBy.beforeKill;
        const result = await put(node, key, i).catch(() => undefined);
        if (result?.status === 200 || result?.status === 201) {
          entry.acknowledged = i;
          entry.unknownAfter = [];
          // Counted in the phase the write started in: one acknowledged after the kill began
          // proves that writing went on.
          phase.set(node, (phase.get(node) ?? 0) + 1);
        } else {
          entry.unknownAfter.push(i);
        }
        if (node === 'n3' && cluster.node('n3').process === undefined) return; // its node is gone
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    killed = true;
    await cluster.kill('n3');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await Promise.all(writers);

    // Every writer had writes acknowledged before the kill; the writers on n1 and n2 went on after it.
    for (const node of ['n1', 'n2', 'n3']) expect(acknowledgedBy.beforeKill.get(node) ?? 0).toBeGreaterThan(0);
    for (const node of ['n1', 'n2']) expect(acknowledgedBy.afterKill.get(node) ?? 0).toBeGreaterThan(0);
    // Once the load has stopped, every write through a survivor succeeds.
    for (const node of ['n1', 'n2']) {
      for (let i = 0; i < 10; i++) expect((await put(node, `after-kill-${node}-${i}`, i)).status).toBe(201);
    }

    // No acknowledged write is lost: both survivors read, for every key written, its last
    // acknowledged value or a later write whose outcome was unknown.
    const written = [...keys].filter(([, entry]) => entry.acknowledged !== undefined);
    expect(written.length).toBeGreaterThanOrEqual(3); // at least one key per writer
    for (const node of ['n1', 'n2']) {
      for (const [key, entry] of written) {
        const read = await get(node, key);
        expect({ key, status: read.status }).toEqual({ key, status: 200 });
        expect([entry.acknowledged, ...entry.unknownAfter]).toContain(read.body.value);
      }
    }

    // The restarted node serves the latest values: its reads go through the quorum.
    await cluster.startNode('n3');
    for (const [key] of written) {
      const latest = (await get('n1', key)).body;
      expect((await get('n3', key)).body).toEqual(latest);
    }
  }, 60_000);

  it('with two of three nodes down, requests fail with 503 within the timeout; after restart all is served', async () => {
    expect((await put('n1', 'before-outage', 'kept')).status).toBe(201);
    await cluster.kill('n2');
    await cluster.kill('n3');
    try {
      for (const request of [() => put('n1', 'during-outage', 'x'), () => get('n1', 'before-outage')]) {
        const started = Date.now();
        const result = await request();
        const elapsed = Date.now() - started;
        expectErrorBody(result, 503);
        expect(result.body.unreachablePeers).toEqual(expect.arrayContaining(['n2', 'n3']));
        expect(typeof result.body.mayHaveTakenEffect).toBe('boolean');
        // A functional bound, not a speed claim: the request must not hang past its timeout.
        expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 1000);
      }
    } finally {
      await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    }
    for (const node of ['n1', 'n2', 'n3']) {
      expect((await get(node, 'before-outage')).body.value).toBe('kept');
    }
    expect((await put('n2', 'after-outage', 'y')).status).toBe(201);
    expect((await get('n3', 'after-outage')).body.value).toBe('y');
  }, 60_000);
});

describe('three-node cluster: a node that loses its disk', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('catches up from a majority before it votes, so no acknowledged write is lost', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `disk-${i}`);
    await writeThroughN1(cluster, keys, 'old', 201);

    // With n2 down, the new values live on n1 and n3 only.
    await cluster.kill('n2');
    await writeThroughN1(cluster, keys, 'new', 200);

    // n3 loses its disk and comes back empty; n2 comes back with the old values.
    await cluster.kill('n3');
    await cluster.node('n3').database.wipe();
    await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    const deadline = Date.now() + 20_000;
    while (!(await cluster.isVoting('n3'))) {
      if (Date.now() > deadline) throw new Error(`n3 never caught up:\n${cluster.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Now n1 goes: the only majority left is n2 (stale) and n3 (rebuilt). Had n3
    // voted while empty, the newest values would be gone.
    await cluster.kill('n1');
    await expectOnNodes(cluster, ['n2', 'n3'], keys, 'new', 2);
  }, 90_000);
});

describe('three-node cluster: a catch-up cut off half-way', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  const FILLER = 30_000;
  const count = async (id: string, sql: string): Promise<number> =>
    Number((await queryDatabase<{ n: string }>(cluster.node(id).database.url, sql))[0]!.n);

  it('leaves the live store empty and unmarked when killed mid-copy, and copies everything again on its next start', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `cut-${i}`);
    await writeThroughN1(cluster, keys, 'old', 201);
    // Enough registers that the copy takes a while: rows as a write through n1 leaves them, on n1 and n2.
    for (const id of ['n1', 'n2'])
      await queryDatabase(
        cluster.node(id).database.url,
        `INSERT INTO kv_register (key, promised, accepted, present, value, version, lineage, unsettled)
         SELECT 'filler/' || lpad(i::text, 6, '0'), b || 'n1', a || 'n1', true, to_json(repeat('x', 98)), 1,
                ARRAY[a || 'n1', ''], true
           FROM generate_series(1, $1::int) AS i,
                LATERAL (SELECT lpad(to_hex(2 * i), 14, '0') || '.00000001.' AS a,
                                lpad(to_hex(2 * i + 1), 14, '0') || '.00000001.' AS b) AS ballots`,
        [FILLER],
      );

    // With n2 down, the new values live on n1 and n3 only; then n3 loses its disk.
    await cluster.kill('n2');
    await writeThroughN1(cluster, keys, 'new', 200);
    await cluster.kill('n3');
    await cluster.node('n3').database.wipe();
    await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);

    // Killed while its staging is less than half full: a crash mid-copy.
    const staged = () => count('n3', 'SELECT count(*) AS n FROM kv_catch_up_staging').catch(() => 0);
    const deadline = Date.now() + 30_000;
    let seen = 0;
    while (seen === 0) {
      if (Date.now() > deadline) throw new Error('n3 never started staging its copy');
      seen = await staged();
    }
    expect(seen).toBeLessThan(FILLER / 2);
    await cluster.kill('n3');
    expect(await staged()).toBeGreaterThan(0);
    expect(await count('n3', 'SELECT count(*) AS n FROM kv_register')).toBe(0);
    expect(await count('n3', "SELECT count(*) AS n FROM node_meta WHERE name = 'caught_up'")).toBe(0);

    // The next start throws the half-filled staging away, copies everything and votes.
    await cluster.startNode('n3');
    await cluster.waitUntilVoting(['n3'], 60_000);
    expect(await count('n3', "SELECT count(*) AS n FROM kv_register WHERE key LIKE 'filler/%'")).toBe(FILLER);
    expect(await staged()).toBe(0);

    // Now n1 goes: the only majority left is n2 (stale) and n3 (rebuilt after a crash mid-copy).
    await cluster.kill('n1');
    await expectOnNodes(cluster, ['n2', 'n3'], keys, 'new', 2);
  }, 120_000);
});

/** Writes `value` to every key through n1, one at a time, each answered with `status`. */
async function writeThroughN1(cluster: TestCluster, keys: readonly string[], value: string, status: number) {
  for (const key of keys)
    expect((await http(cluster.url('n1'), 'PUT', kvPath(key), { json: { value } })).status).toBe(status);
}

/** Every key reads `value` at `version` on each of `nodes`. */
async function expectOnNodes(
  cluster: TestCluster,
  nodes: readonly string[],
  keys: readonly string[],
  value: string,
  version: number,
) {
  for (const node of nodes) {
    for (const key of keys) {
      const read = await http(cluster.url(node), 'GET', kvPath(key));
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key, value, version });
    }
  }
}
