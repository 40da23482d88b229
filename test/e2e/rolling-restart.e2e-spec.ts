import { TestBalancer } from '../support/balancer';
import { printClusterLogsOnFailure, TestCluster } from '../support/cluster';
import { http, kvPath } from '../support/http';

const CLIENTS = 6;
const KEYS_PER_CLIENT = 8;

/**
 * What a Kubernetes rolling update or `docker compose restart` does to the
 * cluster: each node in turn gets SIGTERM, exits, starts again on its database
 * and becomes ready before the next one goes. Clients reach the nodes through
 * a balancer that follows the readiness probes. Not one request may fail: a
 * stopping node hands its keys to the others before it stops serving.
 */
describe('a rolling restart of a three-node cluster under load', () => {
  let cluster: TestCluster;
  let balancer: TestBalancer;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1500' });
    balancer = new TestBalancer(() => new Map(cluster.nodes.map((node) => [node.id, cluster.url(node.id)])));
    await balancer.start();
  }, 60_000);
  afterAll(async () => {
    balancer?.stop();
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('answers every write and read with a 2xx, and loses no acknowledged write', async () => {
    // Each client writes its own keys one request at a time, so the last value it was told of is the key's.
    const lastWritten = new Map<string, string>();
    const failures: string[] = [];
    const counts = { writes: 0, reads: 0 };
    for (let c = 0; c < CLIENTS; c++) {
      for (let k = 0; k < KEYS_PER_CLIENT; k++) {
        const key = `rolling/c${c}/k${k}`;
        expect((await http(cluster.url('n1'), 'PUT', kvPath(key), { json: { value: 'initial' } })).status).toBe(201);
        lastWritten.set(key, 'initial');
      }
    }

    let running = true;
    const client = async (c: number) => {
      for (let n = 0; running; n++) {
        const key = `rolling/c${c}/k${n % KEYS_PER_CLIENT}`;
        const write = n % 3 !== 2;
        const value = `c${c}-${n}`;
        try {
          const answer = write
            ? await balancer.send('PUT', kvPath(key), { value })
            : await balancer.send('GET', kvPath(key));
          if (answer.status >= 300) {
            failures.push(
              `${write ? 'PUT' : 'GET'} ${key} on ${answer.node}: ${answer.status} ${JSON.stringify(answer.body)}`,
            );
          } else if (write) {
            lastWritten.set(key, value);
            counts.writes++;
          } else {
            const body = answer.body as { value?: unknown };
            if (body.value !== lastWritten.get(key))
              failures.push(`GET ${key} on ${answer.node}: ${JSON.stringify(body.value)}, not ${lastWritten.get(key)}`);
            counts.reads++;
          }
        } catch (error) {
          failures.push(`${write ? 'PUT' : 'GET'} ${key}: ${(error as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

    for (const id of ['n1', 'n2', 'n3']) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const node = cluster.node(id).process!;
      node.terminate();
      expect(await node.exited).toBe(0);
      await cluster.startNode(id);
      await cluster.waitUntilReady([id], 30_000);
      await cluster.waitUntilVoting([id], 30_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    // A restart that served nothing would prove nothing.
    expect(counts.writes).toBeGreaterThan(300);
    expect(counts.reads).toBeGreaterThan(100);
    for (const [key, value] of lastWritten) {
      const read = await http(cluster.url('n2'), 'GET', kvPath(key));
      expect({ key, value: read.body.value }).toEqual({ key, value });
    }
  }, 180_000);
});
