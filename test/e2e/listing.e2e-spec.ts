import { queryDatabase } from '../support/database';
import { expectErrorBody, http, kvPath } from '../support/http';
import { TestCluster, printClusterLogsOnFailure } from '../support/cluster';

/** GET /kv-store/v1/kv: listing by prefix or range, on three real node processes. */
describe('listing keys (three-node cluster)', () => {
  let cluster: TestCluster;
  const nodes = ['n1', 'n2', 'n3'];
  const put = (node: string, key: string, value: unknown) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: { value } });
  const del = (node: string, key: string) => http(cluster.url(node), 'DELETE', kvPath(key));
  const list = (node: string, query: string) => http(cluster.url(node), 'GET', `/kv-store/v1/kv?${query}`);

  /** Follows nextCursor to the end; the keys of every page, in order. */
  async function walk(node: string, query: string, between?: (page: number) => Promise<void>): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const result = await list(node, cursor === null ? query : `${query}&cursor=${encodeURIComponent(cursor)}`);
      expect(result.status).toBe(200);
      keys.push(...(result.body.items as Array<{ key: string }>).map((item) => item.key));
      cursor = result.body.nextCursor as string | null;
      if (cursor === null) return keys;
      await between?.(page);
    }
    throw new Error('the walk never ended');
  }

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '2000' });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('lists a prefix in byte order with values and versions, the same from every node, skipping deleted keys', async () => {
    const keys = ['cfg/b', 'cfg/a', 'cfg/\uFF21', 'cfg/\u{1F600}', 'cfg/a/deep', 'cfh/outside', 'cf'];
    for (const [i, key] of keys.entries()) expect((await put(nodes[i % 3]!, key, { n: i })).status).toBe(201);
    expect((await put('n2', 'cfg/b', 'second')).status).toBe(200);
    expect((await del('n3', 'cfg/a/deep')).status).toBe(204);

    for (const node of nodes) {
      const result = await list(node, 'prefix=cfg/');
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        items: [
          { key: 'cfg/a', value: { n: 1 }, version: 1 },
          { key: 'cfg/b', value: 'second', version: 2 },
          { key: 'cfg/\uFF21', value: { n: 2 }, version: 1 },
          { key: 'cfg/\u{1F600}', value: { n: 3 }, version: 1 },
        ],
        nextCursor: null,
      });
    }
    const keysOnly = await list('n1', 'prefix=cfg/&keysOnly=true&limit=1');
    expect(keysOnly.body.items).toEqual([{ key: 'cfg/a', version: 1 }]);
    expect(typeof keysOnly.body.nextCursor).toBe('string');
  });

  it('lists a range, start inclusive and end exclusive, and local reads the node alone', async () => {
    for (const key of ['r/1', 'r/2', 'r/3', 'r/4']) await put('n1', key, key);
    const range = await list('n2', `start=${encodeURIComponent('r/2')}&end=${encodeURIComponent('r/4')}`);
    expect(range.body.items.map((item: { key: string }) => item.key)).toEqual(['r/2', 'r/3']);
    const local = await list('n3', 'prefix=r/&consistency=local');
    expect(local.status).toBe(200);
    // A local listing is this node's copy: it may lag, never invent.
    for (const item of local.body.items as Array<{ key: string; value: string }>) expect(item.value).toBe(item.key);
  });

  it('pages under concurrent writes visit every key that exists throughout exactly once', async () => {
    const stable = Array.from({ length: 60 }, (_, i) => `walk/${String(i).padStart(3, '0')}`);
    for (const key of stable) await put(nodes[Number(key.slice(-1)) % 3]!, key, 1);
    let churn = 0;
    const seen = await walk('n2', 'prefix=walk/&limit=7', async (page) => {
      // Between pages: new keys before and after the cursor, deletes and rewrites of others.
      await Promise.all([
        put('n1', `walk/${String(page * 7).padStart(3, '0')}x`, churn++),
        put('n3', `walk/${String(59 - page).padStart(3, '0')}y`, churn++),
        put('n2', stable[(page * 13) % 60]!, churn++),
      ]);
    });
    const stableSeen = seen.filter((key) => stable.includes(key));
    expect(stableSeen).toEqual(stable);
    expect(new Set(seen).size).toBe(seen.length);
  }, 30_000); // dozens of pages and writes: jest's 5 s is too short on a loaded machine

  it('costs a page, not a scan: settled tombstones are not listed by any acceptor', async () => {
    for (let i = 0; i < 30; i++) await put('n1', `tomb/${i}`, i);
    for (let i = 0; i < 30; i++) await del('n2', `tomb/${i}`);
    const listable = async () =>
      (
        await Promise.all(
          cluster.nodes.map((node) =>
            queryDatabase<{ count: string }>(
              node.database.url,
              "SELECT count(*) FROM kv_register WHERE key LIKE 'tomb/%' AND (present OR unsettled)",
            ),
          ),
        )
      ).map((rows) => Number(rows[0]!.count));
    const deadline = Date.now() + 20_000;
    while ((await listable()).some((count) => count > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await listable()).toEqual([0, 0, 0]);
    expect((await list('n3', 'prefix=tomb/')).body).toEqual({ items: [], nextCursor: null });
  });

  it('answers bad input with 400 in the one error shape', async () => {
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=-1',
      'limit=abc',
      'cursor=garbage',
      `cursor=${Buffer.from('{"l":"x","a":"k"}').toString('base64url')}`,
      'start=b&end=a',
      'prefix=a&start=a',
      'keysOnly=yes',
      'consistency=eventual',
      `prefix=${'k'.repeat(1100)}`,
    ]) {
      expectErrorBody(await list('n1', query), 400);
    }
    // A cursor of one listing is refused by another.
    const first = await list('n1', 'prefix=cfg/&limit=1');
    expectErrorBody(await list('n1', `prefix=r/&cursor=${encodeURIComponent(first.body.nextCursor as string)}`), 400);
  });

  it('serves the trailing-slash form too', async () => {
    const result = await http(cluster.url('n1'), 'GET', '/kv-store/v1/kv/?prefix=r/');
    expect(result.status).toBe(200);
    expect(result.body.items.length).toBe(4);
  });
});
