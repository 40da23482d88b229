import { dumpDom } from '../support/chromium';
import { TestCluster, printClusterLogsOnFailure } from '../support/cluster';
import { http, kvPath } from '../support/http';

/** The status page on a real three-node cluster, loaded by a real browser (headless Chromium). */
describe('status page', () => {
  let cluster: TestCluster;
  printClusterLogsOnFailure(() => cluster);

  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Each row of the nodes table, from the DOM Chromium built: node id -> the row's cells as text. */
  function nodeRows(dom: string): Map<string, string[]> {
    const rows = new Map<string, string[]>();
    for (const [, id, cells] of dom.matchAll(/<tr data-node="([^"]+)">(.*?)<\/tr>/gs)) {
      const texts = [...cells!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map(([, html]) =>
        html!
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      );
      rows.set(id!, texts);
    }
    return rows;
  }

  const statusUrl = (node: string) => `${cluster.url(node)}/kv-store/v1/status`;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1000' });
    await cluster.waitUntilVoting(['n1', 'n2', 'n3']);
    await eventually(async () => {
      const health = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
      return health.status === 200 && health.body.details.quorum.voting === 3;
    }, 'n1 seeing all three nodes vote');
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists every node, ready and voting, with its round-trip time and the quorum', async () => {
    for (let i = 0; i < 5; i++) await http(cluster.url('n1'), 'PUT', kvPath(`status-${i}`), { json: { value: i } });
    const page = await http(cluster.url('n1'), 'GET', '/kv-store/v1/status');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');

    const dom = await dumpDom(statusUrl('n1'));
    expect(dom).toContain('<title>kv-store · n1</title>');
    const rows = nodeRows(dom);
    expect([...rows.keys()]).toEqual(['n1', 'n2', 'n3']);
    // Node, address, reachable, voting, ready, round trip, last answer.
    expect(rows.get('n1')).toEqual(['n1 (this node)', '—', 'yes', 'yes', 'yes', '—', '—']);
    for (const peer of ['n2', 'n3']) {
      const [name, address, reachable, voting, ready, roundTrip, lastSeen] = rows.get(peer)!;
      expect([name, address, reachable, voting, ready]).toEqual([peer, cluster.url(peer), 'yes', 'yes', 'yes']);
      expect(roundTrip).toMatch(/^\d+\.\d ms$/);
      expect(lastSeen).toMatch(/^\d+\.\d s ago$/);
    }
    expect(dom).toMatch(/3 of 3 voting\s*<span class="badge good">up<\/span>/);
    expect(dom).toContain('<span class="badge good">healthy</span>');
    // This node's request rate since its first sample (taken at start-up), in a card of its own.
    expect(dom).toMatch(/<div class="label">Requests<\/div><div class="value">\d+(\.\d+)?\/s<\/div>/);
  });

  it('shows a stopped node as unreachable, and the rest still ready', async () => {
    await cluster.kill('n3');
    await eventually(async () => {
      const health = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
      return health.body.details.cluster.peers.n3.reachable === false;
    }, 'n1 seeing n3 unreachable');
    const rows = nodeRows(await dumpDom(statusUrl('n1')));
    expect(rows.get('n3')!.slice(2, 5)).toEqual([expect.stringMatching(/^no\b/), 'no', 'no']);
    expect(rows.get('n2')!.slice(2, 5)).toEqual(['yes', 'yes', 'yes']);
    expect(rows.get('n1')!.slice(2, 5)).toEqual(['yes', 'yes', 'yes']);
  }, 30_000);
});
