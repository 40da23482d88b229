import { PeerChannel } from '../../src/peer-transport/peer-channel';
import { queryDatabase } from '../support/database';
import { http, kvPath } from '../support/http';
import { TEST_CLUSTER_SECRET, TestCluster, printClusterLogsOnFailure } from '../support/cluster';

/**
 * Values on the forwarded path (a write runs on its key's preferred proposer,
 * so from two of any three nodes it crosses the peer channel as JSON, and the
 * peer's answer comes back the same way), on three real node processes.
 * Compared as JSON text: a "__proto__" in an object literal here would set a
 * prototype, not a key.
 */
describe('forwarded operations (three-node cluster)', () => {
  let cluster: TestCluster;
  const value = '{"__proto__":{"x":1},"constructor":{"prototype":[1]},"nested":[{"__proto__":null}]}';
  const putText = (node: string, key: string, text: string) =>
    http(cluster.url(node), 'PUT', kvPath(key), {
      body: `{"value":${text}}`,
      headers: { 'content-type': 'application/json' },
    });

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '2000' });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('keep "__proto__", "constructor" and "prototype" keys in values written through every node', async () => {
    // Each key written through each node: whichever node prefers it, the other two forward.
    for (const key of ['proto-a', 'proto-b', 'proto-c']) {
      for (const [index, node] of ['n1', 'n2', 'n3'].entries()) {
        const written = await putText(node, key, value);
        expect(written.status).toBe(index === 0 ? 201 : 200);
        expect(JSON.stringify(written.body.value)).toBe(value);
      }
      for (const node of ['n1', 'n2', 'n3'])
        expect(JSON.stringify((await http(cluster.url(node), 'GET', kvPath(key))).body.value)).toBe(value);
      const copies = await Promise.all(
        cluster.nodes.map((node) =>
          queryDatabase<{ text: string }>(
            node.database.url,
            'SELECT value::text AS text FROM kv_register WHERE key = $1 AND present',
            [key],
          ),
        ),
      );
      const exact = copies.filter((rows) => rows.length === 1 && JSON.stringify(JSON.parse(rows[0]!.text)) === value);
      expect(exact.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('keep them on the peer API itself, over HTTP and over the peer channel, for a put and a read', async () => {
    const put = (key: string) =>
      `{"timeoutMs":2000,"ops":[{"type":"put","key":"${key}","value":${value},"conditions":{}}]}`;
    const read = (key: string) => `{"timeoutMs":2000,"ops":[{"type":"read","key":"${key}"}]}`;
    const overHttp = (text: string) =>
      http(cluster.url('n2'), 'POST', '/internal/v1/kv/ops', {
        body: text,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_CLUSTER_SECRET}` },
      });
    expect((await overHttp(put('proto-http'))).body.results).toEqual([
      { ok: true, type: 'put', created: true, version: 1 },
    ]);
    const readOverHttp = (await overHttp(read('proto-http'))).body.results[0];
    expect(readOverHttp).toEqual(expect.objectContaining({ ok: true, type: 'read', version: 1 }));
    expect(JSON.stringify(readOverHttp.value)).toBe(value);

    const channel = new PeerChannel({
      url: cluster.url('n3'),
      apiPrefix: 'internal/v1',
      authorization: `Bearer ${TEST_CLUSTER_SECRET}`,
      maxFrameChars: 1 << 20,
    });
    type Reply = { results: Array<{ ok: boolean; value?: unknown }> };
    try {
      const written = await channel.call<Reply>('kv/ops', JSON.parse(put('proto-channel')), 2000, {
        idempotent: false,
      });
      expect(written.results[0]!.ok).toBe(true);
      const reply = await channel.call<Reply>('kv/ops', JSON.parse(read('proto-channel')), 2000, { idempotent: true });
      expect(JSON.stringify(reply.results[0]!.value)).toBe(value);
    } finally {
      channel.close();
    }
    expect(JSON.stringify((await http(cluster.url('n1'), 'GET', kvPath('proto-channel'))).body.value)).toBe(value);
  });
});
