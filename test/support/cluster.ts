import { Cluster } from '../../scripts/launcher/cluster';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_CLUSTER_SECRET = 'test-cluster-secret-0123456789';

/**
 * N real node processes on loopback (started by the one launcher in
 * scripts/launcher), each with its own database on the test PostgreSQL server.
 */
export class TestCluster {
  private constructor(private readonly cluster: Cluster<{ database: TestDatabase }>) {}

  get nodes() {
    return this.cluster.nodes;
  }

  static async start(size: number, extraEnv: Record<string, string> = {}): Promise<TestCluster> {
    const databases: TestDatabase[] = [];
    let cluster: Cluster<{ database: TestDatabase }> | undefined;
    try {
      cluster = await Cluster.start({
        size,
        secret: TEST_CLUSTER_SECRET,
        env: { LOG_LEVEL: 'warn', ...extraEnv },
        extra: async (id) => {
          databases.push(await createTestDatabase(`kv_cluster_${id}`));
          return { database: databases.at(-1)! };
        },
        database: (_id, { database }) => ({ DATABASE_URL: database.url }),
      });
      await cluster.waitUntilReady(cluster.ids(), 30_000);
      return new TestCluster(cluster);
    } catch (error) {
      // a suite whose beforeAll fails never calls stop: leave no process or database behind
      await cluster?.killAll();
      await Promise.all(databases.map((database) => database.drop()));
      throw error;
    }
  }

  node(id: string) {
    return this.cluster.node(id);
  }

  url(id: string): string {
    return this.cluster.url(id);
  }

  async startNode(id: string): Promise<void> {
    await this.cluster.startNode(id);
  }

  async waitUntilReady(ids: readonly string[], timeoutMs?: number): Promise<void> {
    await this.cluster.waitUntilReady(ids, timeoutMs);
  }

  /** New nodes serve reads before their acceptors vote (they first copy from their peers). */
  async waitUntilVoting(ids: readonly string[], timeoutMs?: number): Promise<void> {
    await this.cluster.waitUntilVoting(ids, timeoutMs);
  }

  /** Whether the node's acceptor votes (it does not while it catches up after a disk loss). */
  async isVoting(id: string): Promise<boolean> {
    return (await this.cluster.node(id).process?.isVoting()) ?? false;
  }

  /** SIGKILL: no goodbye, no flushing, like a power cut of the process. */
  async kill(id: string): Promise<void> {
    await this.cluster.kill(id);
  }

  async stop(): Promise<void> {
    await this.cluster.killAll();
    await Promise.all(this.nodes.map((node) => node.database.drop()));
  }

  logs(): string {
    return this.cluster.logs();
  }
}

/**
 * After each test of the suite that failed an assertion, prints the cluster's node logs: what the nodes
 * said is most of what there is to know about a failed cluster test.
 */
export function printClusterLogsOnFailure(cluster: () => TestCluster | undefined): void {
  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) console.log(cluster()?.logs());
  });
}
