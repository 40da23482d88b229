import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import type { Departure } from '../../src/replication/routing/departure';
import { KeyRouter } from '../../src/replication/routing/key-router';
import type { PeerHealthMonitor, PeerStatus } from '../../src/replication/routing/peer-health.monitor';
import { TEST_CLUSTER_SECRET, TestCluster, printClusterLogsOnFailure } from '../support/cluster';
import { expectErrorBody, http, HttpResult, kvPath } from '../support/http';
import { startTestNode, TestNode } from '../support/test-node';

/**
 * A long poll on its own connection (the shared test agent holds 64 sockets),
 * with a way to hang up before the answer. Resolves with the answer and how
 * long it took.
 */
function openPoll(baseUrl: string, path: string): { answer: Promise<HttpResult & { ms: number }>; hangUp(): void } {
  const base = new URL(baseUrl);
  const started = Date.now();
  let hangUp = (): void => undefined;
  const answer = new Promise<HttpResult & { ms: number }>((resolve, reject) => {
    const request = httpRequest({ host: base.hostname, port: base.port, method: 'GET', path }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === 'string') headers.set(name, value);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const json = (response.headers['content-type'] ?? '').includes('json') && text !== '';
        resolve({
          status: response.statusCode ?? 0,
          headers,
          text,
          body: json ? JSON.parse(text) : text,
          ms: Date.now() - started,
        });
      });
    });
    request.on('error', reject);
    request.end();
    hangUp = () => request.destroy();
  });
  return { answer, hangUp: () => hangUp() };
}

const pollPath = (key: string, query: string): string => `${kvPath(key)}?${query}`;

/** Open long polls on a node, as its cluster health reports them. */
async function openPolls(baseUrl: string): Promise<number> {
  const health = await http(baseUrl, 'GET', '/kv-store/v1/health');
  return health.body.details.longPolls.open as number;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('long poll: GET ?waitSeconds&afterVersion (single node)', () => {
  let node: TestNode;
  const put = (key: string, value: unknown) => http(node.baseUrl, 'PUT', kvPath(key), { json: { value } });
  const get = (path: string) => http(node.baseUrl, 'GET', path);

  beforeAll(async () => {
    node = await startTestNode({ MAX_LONG_POLLS: '3' });
  });
  afterAll(async () => {
    await node?.close();
  });

  it('refuses bad parameters with 400 in the error shape, before waiting', async () => {
    await put('bad-input', 1);
    const cases: Array<[string, RegExp]> = [
      ['waitSeconds=0&afterVersion=1', /waitSeconds must be a whole number from 1 to 300/],
      ['waitSeconds=301&afterVersion=1', /waitSeconds/],
      ['waitSeconds=1.5&afterVersion=1', /waitSeconds/],
      ['waitSeconds=x&afterVersion=1', /waitSeconds/],
      ['waitSeconds=-1&afterVersion=1', /waitSeconds/],
      ['waitSeconds=&afterVersion=1', /waitSeconds/],
      ['waitSeconds=010&afterVersion=1', /waitSeconds/],
      ['waitSeconds=5&afterVersion=-1', /afterVersion must be a whole number/],
      ['waitSeconds=5&afterVersion=1.5', /afterVersion/],
      ['waitSeconds=5&afterVersion=abc', /afterVersion/],
      ['waitSeconds=5&afterVersion=1&afterVersion=2', /afterVersion/],
      ['afterVersion=1', /afterVersion needs waitSeconds/],
      ['waitSeconds=5&afterVersion=0&consistency=local', /always linearizable/],
    ];
    for (const [query, message] of cases) {
      const started = Date.now();
      const result = await get(pollPath('bad-input', query));
      expectErrorBody(result, 400);
      expect({ query, message: result.body.message as string }).toEqual({
        query,
        message: expect.stringMatching(message),
      });
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  it('answers 404 for a deleted key with X-Kv-Version, and without it for a key never written', async () => {
    await put('deleted', 'a');
    await put('deleted', 'b');
    expect((await http(node.baseUrl, 'DELETE', kvPath('deleted'))).status).toBe(204);
    for (const path of [kvPath('deleted'), `${kvPath('deleted')}/`]) {
      const gone = await get(path);
      expectErrorBody(gone, 404);
      expect(gone.headers.get('x-kv-version')).toBe('3');
    }
    const never = await get(kvPath('never-written-here'));
    expectErrorBody(never, 404);
    expect(never.headers.get('x-kv-version')).toBeNull();
    // The version goes on counting: the next write is version 4.
    expect((await put('deleted', 'c')).body.version).toBe(4);
  });

  it('answers at once when afterVersion is already behind, also on the trailing-slash path', async () => {
    await put('behind', 'v1');
    await put('behind', 'v2');
    for (const path of [
      pollPath('behind', 'waitSeconds=30&afterVersion=1'),
      `${kvPath('behind')}/?waitSeconds=30&afterVersion=0`,
    ]) {
      const { answer } = openPoll(node.baseUrl, path);
      const result = await answer;
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ key: 'behind', value: 'v2', version: 2 });
      expect(result.headers.get('etag')).toBe('"2"');
      expect(result.ms).toBeLessThan(2000);
    }
  });

  it('after waitSeconds, answers the current state: 200, or 404 for an absent key', async () => {
    await put('quiet', 'same');
    const present = openPoll(node.baseUrl, pollPath('quiet', 'waitSeconds=1&afterVersion=1'));
    const absent = openPoll(node.baseUrl, pollPath('quiet-absent', 'waitSeconds=1&afterVersion=0'));
    const [stayed, missing] = await Promise.all([present.answer, absent.answer]);
    expect(stayed.status).toBe(200);
    expect(stayed.body).toEqual({ key: 'quiet', value: 'same', version: 1 });
    expect(stayed.ms).toBeGreaterThanOrEqual(950);
    expect(stayed.ms).toBeLessThan(5000);
    expectErrorBody(missing, 404);
    expect(missing.headers.get('x-kv-version')).toBeNull();
    expect(missing.ms).toBeGreaterThanOrEqual(950);
  });

  it('without afterVersion, waits for the next change after the version it first reads', async () => {
    await put('next-change', 'old');
    const poll = openPoll(node.baseUrl, pollPath('next-change', 'waitSeconds=30'));
    await waitUntil('the poll is open', async () => (await openPolls(node.baseUrl)) === 1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // its first read is done
    await put('next-change', 'new');
    const result = await poll.answer;
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ key: 'next-change', value: 'new', version: 2 });
    expect(result.ms).toBeLessThan(5000);
  });

  it('refuses a poll beyond MAX_LONG_POLLS with 503 and Retry-After, and forgets polls whose client hung up', async () => {
    const polls = ['cap-a', 'cap-b', 'cap-a'].map((key) =>
      openPoll(node.baseUrl, pollPath(key, 'waitSeconds=60&afterVersion=0')),
    );
    await waitUntil('three polls are open', async () => (await openPolls(node.baseUrl)) === 3);
    const refused = await get(pollPath('cap-c', 'waitSeconds=60&afterVersion=0'));
    expectErrorBody(refused, 503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toEqual(expect.objectContaining({ unreachablePeers: [], mayHaveTakenEffect: false }));
    // A plain GET is no long poll: it is served.
    expectErrorBody(await get(kvPath('cap-c')), 404);

    for (const poll of polls) {
      poll.hangUp();
      await poll.answer.catch(() => undefined);
    }
    await waitUntil('the hung-up polls are gone', async () => (await openPolls(node.baseUrl)) === 0);
    const health = await http(node.baseUrl, 'GET', '/kv-store/v1/health');
    expect(health.body.details.longPolls).toEqual({ status: 'up', open: 0, max: 3 });
    // With room again, a poll is served.
    await put('cap-c', 1);
    const served = await openPoll(node.baseUrl, pollPath('cap-c', 'waitSeconds=30&afterVersion=0')).answer;
    expect(served.status).toBe(200);
  });
});

describe('long poll (three-node cluster)', () => {
  let cluster: TestCluster;
  const put = (node: string, key: string, value: unknown) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: { value } });
  const poll = (node: string, key: string, query: string) => openPoll(cluster.url(node), pollPath(key, query));

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '2000' });
    await cluster.waitUntilVoting(['n1', 'n2', 'n3'], 20_000);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('wakes a waiter on n1 with a PUT on n2, long before waitSeconds', async () => {
    expect((await put('n2', 'watched', 'first')).status).toBe(201);
    const waiter = poll('n1', 'watched', 'waitSeconds=30&afterVersion=1');
    await waitUntil('the poll is open on n1', async () => (await openPolls(cluster.url('n1'))) === 1);
    expect((await put('n2', 'watched', 'second')).status).toBe(200);
    const result = await waiter.answer;
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ key: 'watched', value: 'second', version: 2 });
    expect(result.headers.get('etag')).toBe('"2"');
    expect(result.ms).toBeLessThan(5000);
  }, 30_000);

  it('wakes a waiter on n1 with a DELETE on n3: 404 with the new version in X-Kv-Version', async () => {
    expect((await put('n3', 'doomed', 'here')).status).toBe(201);
    const waiter = poll('n1', 'doomed', 'waitSeconds=30&afterVersion=1');
    await waitUntil('the poll is open on n1', async () => (await openPolls(cluster.url('n1'))) === 1);
    expect((await http(cluster.url('n3'), 'DELETE', kvPath('doomed'))).status).toBe(204);
    const result = await waiter.answer;
    expectErrorBody(result, 404);
    expect(result.headers.get('x-kv-version')).toBe('2');
    expect(result.ms).toBeLessThan(5000);
    // A poll past the tombstone waits for what comes after it.
    const next = poll('n2', 'doomed', 'waitSeconds=30&afterVersion=2');
    await waitUntil('the poll is open on n2', async () => (await openPolls(cluster.url('n2'))) === 1);
    expect((await put('n3', 'doomed', 'back')).status).toBe(201);
    expect((await next.answer).body).toEqual({ key: 'doomed', value: 'back', version: 3 });
  }, 30_000);

  it('answers many waiters on one key with one write', async () => {
    expect((await put('n1', 'crowded', 0)).status).toBe(201);
    const waiters = Array.from({ length: 200 }, (_, i) =>
      poll(`n${(i % 3) + 1}`, 'crowded', 'waitSeconds=30&afterVersion=1'),
    );
    await waitUntil('all polls are open', async () => {
      const counts = await Promise.all(['n1', 'n2', 'n3'].map((id) => openPolls(cluster.url(id))));
      return counts.reduce((sum, count) => sum + count, 0) === 200;
    });
    expect((await put('n2', 'crowded', 1)).status).toBe(200);
    const results = await Promise.all(waiters.map((waiter) => waiter.answer));
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ key: 'crowded', value: 1, version: 2 });
      expect(result.ms).toBeLessThan(10_000);
    }
  }, 30_000);

  it('a waiter whose client hangs up is forgotten', async () => {
    const waiter = poll('n1', 'abandoned', 'waitSeconds=60&afterVersion=0');
    await waitUntil('the poll is open on n1', async () => (await openPolls(cluster.url('n1'))) === 1);
    waiter.hangUp();
    await expect(waiter.answer).rejects.toThrow();
    await waitUntil('the poll is gone', async () => (await openPolls(cluster.url('n1'))) === 0);
  }, 30_000);

  it('answers within the recheck interval on a node whose acceptor missed the accept', async () => {
    // A key another node proposes for: otherwise n1's own proposer would signal the write.
    const key = keyProposedBy('n2');
    expect((await put('n2', key, 'before')).status).toBe(201);
    const waiter = poll('n1', key, 'waitSeconds=60&afterVersion=1');
    await waitUntil('the poll is open on n1', async () => (await openPolls(cluster.url('n1'))) === 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // its first read is done

    // Hold n1's row of the key: n1's acceptor cannot store the next accept (plain reads still pass).
    const n1Database = new Client({ connectionString: cluster.node('n1').database.url });
    await n1Database.connect();
    try {
      await n1Database.query('BEGIN');
      await n1Database.query('SELECT 1 FROM kv_register WHERE key = $1 FOR UPDATE', [key]);
      const wrote = Date.now();
      expect((await put('n2', key, 'after')).status).toBe(200); // n2 and n3 are a majority
      const result = await waiter.answer;
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ key, value: 'after', version: 2 });
      // No signal came (n1 stored nothing, and n2 proposed): the recheck (every 3 s) found it.
      expect(Date.now() - wrote).toBeLessThan(8000);
      const local = await http(cluster.url('n1'), 'GET', `${kvPath(key)}?consistency=local`);
      expect(local.body).toEqual({ key, value: 'before', version: 1 }); // n1 still has not stored it
    } finally {
      await n1Database.query('ROLLBACK');
      await n1Database.end();
    }
  }, 30_000);

  it('on SIGTERM, answers its open polls with the current state once readiness has drained, then exits', async () => {
    expect((await put('n3', 'stopping', 'still here')).status).toBe(201);
    const waiter = poll('n3', 'stopping', 'waitSeconds=300&afterVersion=1');
    await waitUntil('the poll is open on n3', async () => (await openPolls(cluster.url('n3'))) === 1);
    const n3 = cluster.node('n3').process!;
    const stopped = n3.stop(15_000);
    const result = await waiter.answer;
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ key: 'stopping', value: 'still here', version: 1 });
    // At the end of the 3 s readiness drain (a proxy has stopped sending polls here by then), well within the grace.
    expect(result.ms).toBeGreaterThanOrEqual(2500);
    expect(result.ms).toBeLessThan(9000);
    expect(await stopped).toBe(0);
  }, 30_000);
});

/** A key that `nodeId` proposes for while all three nodes are up (routing is the same on every node). */
function keyProposedBy(nodeId: string): string {
  const ids = ['n1', 'n2', 'n3'];
  const peers = ids.filter((id) => id !== nodeId);
  const config = loadConfig({
    NODE_ID: nodeId,
    PEERS: peers.map((id) => `${id}=http://${id}:1`).join(','),
    CLUSTER_SECRET: TEST_CLUSTER_SECRET,
  });
  const allReachable = {
    peers: () => peers.map((id) => ({ id, reachable: true }) as PeerStatus),
  } as unknown as PeerHealthMonitor;
  const router = new KeyRouter(config, allReachable, { leaving: false } as Departure);
  for (let i = 0; ; i++) {
    if (router.preferredNode(`missed-accept-${i}`) === nodeId) return `missed-accept-${i}`;
  }
}
