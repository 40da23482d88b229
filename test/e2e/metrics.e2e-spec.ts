import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TEST_CLUSTER_SECRET, TestCluster, printClusterLogsOnFailure } from '../support/cluster';
import { http, kvPath } from '../support/http';
import { Scrape, parsePrometheusText, samplesOf, sumOf } from '../support/prometheus-text';

/** GET /metrics on a real three-node cluster: what a Prometheus server would scrape. */
describe('metrics', () => {
  let cluster: TestCluster;
  const ids = ['n1', 'n2', 'n3'];
  printClusterLogsOnFailure(() => cluster);

  const scrape = async (node: string): Promise<Scrape> => {
    const result = await http(cluster.url(node), 'GET', '/metrics');
    expect(result.status).toBe(200);
    return parsePrometheusText(result.text);
  };
  const scrapeAll = () => Promise.all(ids.map(scrape));
  const sumOver = (scrapes: Scrape[], name: string, labels: Record<string, string> = {}) =>
    scrapes.reduce((sum, one) => sum + sumOf(one, name, labels), 0);

  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const WRITES = 12;
  const SAME_KEY_WRITES = 5;
  const READS = 7;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1000' });
    await cluster.waitUntilVoting(ids);
    for (let i = 0; i < WRITES; i++)
      expect((await http(cluster.url('n1'), 'PUT', kvPath(`metrics-${i}`), { json: { value: i } })).status).toBe(201);
    for (let i = 0; i < SAME_KEY_WRITES; i++)
      expect((await http(cluster.url('n1'), 'PUT', kvPath('metrics-hot'), { json: { value: i } })).status).toBe(
        i === 0 ? 201 : 200,
      );
    for (let i = 0; i < READS; i++)
      expect((await http(cluster.url('n1'), 'GET', kvPath(`metrics-${i}`))).status).toBe(200);
    expect((await http(cluster.url('n1'), 'GET', kvPath('metrics-never-written'))).status).toBe(404);
    expect((await http(cluster.url('n1'), 'GET', '/no/such/route/42')).status).toBe(404);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the Prometheus text format beside the health endpoints, with no secret, and not under the peer API', async () => {
    const result = await http(cluster.url('n1'), 'GET', '/metrics');
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(() => parsePrometheusText(result.text)).not.toThrow();
    // A wrong secret changes nothing: the route does not look at it.
    const withWrongSecret = await http(cluster.url('n1'), 'GET', '/metrics', {
      headers: { authorization: 'Bearer not-the-secret' },
    });
    expect(withWrongSecret.status).toBe(200);
    // The peer API has no metrics route, even for a caller with the secret.
    const underPeerApi = await http(cluster.url('n1'), 'GET', '/internal/v1/metrics', {
      headers: { authorization: `Bearer ${TEST_CLUSTER_SECRET}` },
    });
    expect(underPeerApi.status).toBe(404);
    expect(result.text).not.toContain(TEST_CLUSTER_SECRET);
  });

  it('counts requests by route pattern, method and status class', async () => {
    const n1 = await scrape('n1');
    expect(n1.types.get('kv_http_requests_total')).toBe('counter');
    const key = '/kv-store/v1/kv/:key';
    expect(sumOf(n1, 'kv_http_requests_total', { route: key, method: 'PUT', status_class: '2xx' })).toBe(
      WRITES + SAME_KEY_WRITES,
    );
    expect(sumOf(n1, 'kv_http_requests_total', { route: key, method: 'GET', status_class: '2xx' })).toBe(READS);
    expect(sumOf(n1, 'kv_http_requests_total', { route: key, method: 'GET', status_class: '4xx' })).toBe(1);
    // Paths no route matched share one label value: no series per path.
    const unmatched = { route: 'unmatched', method: 'GET', status_class: '4xx' };
    expect((await http(cluster.url('n1'), 'GET', '/no/such/route/43')).status).toBe(404);
    const after = await scrape('n1');
    expect(sumOf(after, 'kv_http_requests_total', unmatched)).toBe(sumOf(n1, 'kv_http_requests_total', unmatched) + 1);
    expect(samplesOf(after, 'kv_http_requests_total').some((s) => s.labels.route?.includes('/no/such'))).toBe(false);
  });

  it('keeps latency histograms for reads and writes, with cumulative buckets up to +Inf', async () => {
    const n1 = await scrape('n1');
    expect(n1.types.get('kv_request_duration_seconds')).toBe('histogram');
    for (const [operation, count] of [
      ['write', WRITES + SAME_KEY_WRITES],
      ['read', READS + 1],
    ] as const) {
      const buckets = samplesOf(n1, 'kv_request_duration_seconds_bucket', { operation });
      expect(buckets.length).toBeGreaterThan(5);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(count);
      const values = buckets.map((bucket) => bucket.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(sumOf(n1, 'kv_request_duration_seconds_count', { operation })).toBe(count);
      expect(sumOf(n1, 'kv_request_duration_seconds_sum', { operation })).toBeGreaterThan(0);
    }
  });

  it("counts the proposers' rounds and the batches of statements and peer frames", async () => {
    const all = await scrapeAll();
    const chosen =
      sumOver(all, 'kv_quorum_rounds_total', { outcome: 'one_rtt' }) +
      sumOver(all, 'kv_quorum_rounds_total', { outcome: 'full_round' });
    expect(chosen).toBeGreaterThanOrEqual(WRITES + SAME_KEY_WRITES);
    // Writes after the first to one key take the one-round-trip path on its proposer.
    expect(sumOver(all, 'kv_quorum_rounds_total', { outcome: 'one_rtt' })).toBeGreaterThanOrEqual(1);
    expect(sumOver(all, 'kv_read_peeks_total')).toBeGreaterThanOrEqual(READS);
    expect(sumOver(all, 'kv_acceptor_statement_batch_size_count', { kind: 'accept' })).toBeGreaterThan(0);
    expect(sumOver(all, 'kv_peer_frame_batch_size_count', { kind: 'accept' })).toBeGreaterThan(0);
    // Writes to n1 for keys another node proposes for travel there in frames of forwarded operations.
    expect(sumOf(all[0]!, 'kv_peer_frame_batch_size_count', { kind: 'forwarded_ops' })).toBeGreaterThan(0);
    expect(all[0]!.types.get('kv_peer_frame_batch_size')).toBe('histogram');
  });

  it("reports each peer's reachability and round-trip time", async () => {
    await eventually(async () => {
      const n1 = await scrape('n1');
      return sumOf(n1, 'kv_peer_up', { peer: 'n2' }) === 1 && sumOf(n1, 'kv_peer_up', { peer: 'n3' }) === 1;
    }, 'n1 seeing both peers up');
    const n1 = await scrape('n1');
    for (const peer of ['n2', 'n3']) {
      const [roundTrip] = samplesOf(n1, 'kv_peer_round_trip_seconds', { peer });
      expect(roundTrip?.value).toBeGreaterThan(0);
      expect(roundTrip?.value).toBeLessThan(1);
      expect(sumOf(n1, 'kv_peer_voting', { peer })).toBe(1);
    }
    expect(samplesOf(n1, 'kv_peer_up', { peer: 'n1' })).toEqual([]); // a node is not its own peer
  });

  it('reports the catch-up, the database pool and the process', async () => {
    const n1 = await scrape('n1');
    expect(sumOf(n1, 'kv_acceptor_voting')).toBe(1);
    expect(sumOf(n1, 'kv_catch_up_state', { state: 'done' })).toBe(1);
    expect(sumOf(n1, 'kv_catch_up_state')).toBe(1); // exactly one phase at a time
    expect(samplesOf(n1, 'kv_catch_up_registers_copied')).toHaveLength(1);
    const inUse = samplesOf(n1, 'kv_db_pool_connections', { state: 'in_use' });
    const idle = samplesOf(n1, 'kv_db_pool_connections', { state: 'idle' });
    expect(inUse).toHaveLength(1);
    expect(idle).toHaveLength(1);
    expect(inUse[0]!.value + idle[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(n1, 'kv_db_pool_waiting_requests')).toHaveLength(1);
    expect(sumOf(n1, 'kv_db_pool_max_connections')).toBeGreaterThanOrEqual(inUse[0]!.value + idle[0]!.value);
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes'])
      expect(samplesOf(n1, name)).toHaveLength(1);
    expect(n1.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
  });

  it('exports every metric the alert rules in docs/operations.md use', async () => {
    const operations = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
    const rulesYaml = /## Alerts[\s\S]*?```yaml\n([\s\S]*?)```/.exec(operations)?.[1];
    expect(rulesYaml).toBeDefined();
    const rules = (parseYaml(rulesYaml!) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
      (group) => group.rules,
    );
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['KvStoreNoQuorum', 'KvStorePeerUnreachable', 'KvStoreSlowWrites']),
    );
    const n1 = await scrape('n1');
    for (const rule of rules)
      for (const [name] of rule.expr.matchAll(/\bkv_[a-z_]+/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        expect({ rule: rule.alert, metric: family, exported: n1.types.has(family) }).toEqual({
          rule: rule.alert,
          metric: family,
          exported: true,
        });
      }
  });
});
