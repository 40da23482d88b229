import { TestCluster } from '../support/cluster';
import { logLinesOf } from '../support/log-lines';

/** Operators read warn as "look at this": a normal start must not print one. */
describe('log levels of a normal cluster start', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('logs the first catch-up of new nodes at info, every line JSON, and nothing at warn or above', async () => {
    cluster = await TestCluster.start(3, { LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: '500' });
    for (const node of cluster.nodes) await node.process!.waitUntilVoting(30_000);
    for (const node of cluster.nodes) {
      const lines = logLinesOf(node.process!); // throws on a line that is not JSON
      expect(lines.every((line) => line.nodeId === node.id)).toBe(true);
      // What the nodes did: new databases copied from their peers before voting.
      const catchUp = lines.filter((line) => line.context === 'CatchUp' && line.level === 'info');
      expect(catchUp.map((line) => line.msg)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^database incarnation \S+ has never voted/),
          expect.stringMatching(/^caught up \(/),
        ]),
      );
      expect(lines.filter((line) => ['warn', 'error', 'fatal'].includes(line.level))).toEqual([]);
    }
  }, 60_000);
});
