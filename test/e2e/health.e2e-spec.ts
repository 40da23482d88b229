import { http } from '../support/http';
import { TestCluster } from '../support/cluster';

/** Health endpoints as Kubernetes and load balancers see them, on a real three-node cluster. */
describe('health endpoints', () => {
  let cluster: TestCluster;
  const status = async (node: string, path: string) => (await http(cluster.url(node), 'GET', path)).status;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1000' });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("reports the cluster in Terminus's shape while all nodes are up", async () => {
    // New nodes vote once they have caught up; wait until all three do.
    await eventually(async () => {
      const result = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
      return result.status === 200 && result.body.details.quorum.voting === 3;
    }, 'all three nodes voting');
    const health = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
    expect(health.body.status).toBe('ok');
    expect(health.body.details.cluster).toEqual(
      expect.objectContaining({
        status: 'up',
        nodeId: 'n1',
        peers: {
          n2: expect.objectContaining({ reachable: true, voting: true, lastRoundTripMs: expect.any(Number) }),
          n3: expect.objectContaining({ reachable: true, voting: true, lastRoundTripMs: expect.any(Number) }),
        },
      }),
    );
    expect(health.body.details.database.status).toBe('up');
    expect(health.body.details.quorum).toEqual(expect.objectContaining({ status: 'up', voting: 3, needed: 2 }));
    for (const node of ['n1', 'n2', 'n3']) {
      expect(await status(node, '/health/live')).toBe(200);
      // Each node learns that its peers vote from its own probes, a moment apart.
      await eventually(async () => (await status(node, '/health/ready')) === 200, `${node} ready`);
    }
  });

  it('stays ready with one node down, and names it', async () => {
    await cluster.kill('n3');
    await eventually(async () => {
      const health = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
      return health.status === 200 && health.body.details.cluster.peers.n3.reachable === false;
    }, 'n3 seen as unreachable');
    expect(await status('n1', '/health/ready')).toBe(200);
    expect(await status('n2', '/health/ready')).toBe(200);
  });

  it('is not ready without a quorum, but still live', async () => {
    await cluster.kill('n2');
    await eventually(async () => (await status('n1', '/health/ready')) === 503, 'n1 not ready');
    const health = await http(cluster.url('n1'), 'GET', '/kv-store/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('error');
    expect(health.body.error.quorum).toEqual(
      expect.objectContaining({ status: 'down', voting: 1, unreachable: ['n2', 'n3'] }),
    );
    expect(await status('n1', '/health/live')).toBe(200);

    await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    await eventually(async () => (await status('n1', '/health/ready')) === 200, 'n1 ready again');
  }, 30_000);

  it('on SIGTERM turns not-ready at once, finishes, and exits', async () => {
    const node = cluster.node('n3').process!;
    await eventually(async () => (await status('n3', '/health/ready')) === 200, 'n3 ready before the signal');
    node.terminate();
    // The node keeps serving for SHUTDOWN_DRAIN_MS (3 s by default) after the signal, answering readiness with
    // 503: the first answer that is not a 200 must be that one, not a refused connection. (Polled,
    // because the signal reaches the process a moment after terminate() returns.)
    let ready = await http(cluster.url('n3'), 'GET', '/health/ready');
    const deadline = Date.now() + 1000;
    while (ready.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ready = await http(cluster.url('n3'), 'GET', '/health/ready');
    }
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('shutting_down');
    expect(await status('n3', '/kv-store/v1/kv/never-written')).toBe(404); // still serving clients while it drains
    expect(await node.exited).toBe(0);
    cluster.node('n3').process = undefined;
  }, 30_000);
});
