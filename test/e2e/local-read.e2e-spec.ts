import { loadConfig } from '../../src/config/app-config';
import type { Departure } from '../../src/replication/routing/departure';
import { KeyRouter } from '../../src/replication/routing/key-router';
import type { PeerHealthMonitor, PeerStatus } from '../../src/replication/routing/peer-health.monitor';
import { expectErrorBody, http, kvPath } from '../support/http';
import { TEST_CLUSTER_SECRET, TestCluster, printClusterLogsOnFailure } from '../support/cluster';

/**
 * What README.md ("Guarantees") promises about `?consistency=local`, held to
 * the code: a local read returns what this node's acceptor last accepted,
 * which can be a write that was never acknowledged and that the cluster has
 * not chosen.
 */
describe("?consistency=local reads this node's acceptor, chosen or not", () => {
  let cluster: TestCluster;
  const put = (node: string, key: string, value: unknown) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: { value } });
  const get = (node: string, key: string, query = '') => http(cluster.url(node), 'GET', `${kvPath(key)}${query}`);

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1000' });
    // A new node serves reads before its acceptor votes (it first copies from its peers). Two of
    // them must come back below with the third down, which they can only do once they have voted.
    await cluster.waitUntilVoting(['n1', 'n2', 'n3'], 20_000);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('shows a write that answered 503 (mayHaveTakenEffect: true), which a linearizable read does not', async () => {
    // A key n1 proposes for while all are up: its successful write leaves n1 holding the next
    // ballot's promise, so n1's next write of the key skips the prepare and goes straight to the
    // accept, which n1's own acceptor takes even when no peer answers.
    const key = keyProposedBy('n1');
    expect((await put('n1', key, 'acknowledged')).status).toBe(201);

    await cluster.kill('n2');
    await cluster.kill('n3');
    const unacknowledged = await put('n1', key, 'never acknowledged');
    expectErrorBody(unacknowledged, 503);
    expect(unacknowledged.body.mayHaveTakenEffect).toBe(true);

    const local = await get('n1', key, '?consistency=local');
    expect(local.status).toBe(200);
    expect(local.body).toEqual({ key, value: 'never acknowledged', version: 2 });
    expectErrorBody(await get('n1', key), 503);

    // The other two are a majority without n1: for them that write never happened. The value
    // n1's local read showed was not chosen (a later round with n1 in its majority may still
    // choose it: that is what mayHaveTakenEffect warns of).
    await cluster.kill('n1');
    await Promise.all([cluster.startNode('n2'), cluster.startNode('n3')]);
    await cluster.waitUntilReady(['n2']);
    expect((await get('n2', key)).body).toEqual({ key, value: 'acknowledged', version: 1 });
  }, 60_000);
});

/** A key whose preferred proposer, with every node reachable, is `nodeId` (as every node computes it). */
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
    if (router.preferredNode(`local-read-${i}`) === nodeId) return `local-read-${i}`;
  }
}
