import { TestCluster } from '../support/cluster';

/** Operators read WARN as "look at this": a normal start must not print one. */
describe('log levels of a normal cluster start', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('logs the first catch-up of new nodes at LOG, and nothing at WARN or ERROR', async () => {
    cluster = await TestCluster.start(3, { LOG_LEVEL: 'log', REQUEST_TIMEOUT_MS: '500' });
    for (const node of cluster.nodes) await node.process!.waitUntilVoting(30_000);
    const logs = cluster.logs();
    // What the nodes did: new databases copied from their peers before voting.
    expect(logs).toMatch(/LOG \[CatchUp\] database incarnation \S+ has never voted/);
    expect(logs).toMatch(/LOG \[CatchUp\] caught up \(/);
    expect(logs.split('\n').filter((line) => /\b(WARN|ERROR)\b/.test(line))).toEqual([]);
  }, 60_000);
});
