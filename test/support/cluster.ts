import { createTestDatabase, TestDatabase } from './database';
import { freePort, NodeProcess, spawnNode } from './node-process';

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly database: TestDatabase;
  readonly env: Record<string, string>;
  process?: NodeProcess;
}

export const TEST_CLUSTER_SECRET = 'test-cluster-secret-0123456789';

/**
 * N real node processes on loopback, each with its own database on the test
 * PostgreSQL server, configured as peers of each other.
 */
export class TestCluster {
  private constructor(readonly nodes: ClusterNode[]) {}

  static async start(size: number, extraEnv: Record<string, string> = {}): Promise<TestCluster> {
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const ports = await Promise.all(ids.map(() => freePort()));
    const nodes: ClusterNode[] = [];
    for (const [index, id] of ids.entries()) {
      const database = await createTestDatabase(`kv_cluster_${id}`);
      const peers = ids
        .map((peerId, peerIndex) => (peerId === id ? undefined : `${peerId}=http://127.0.0.1:${ports[peerIndex]}`))
        .filter(Boolean)
        .join(',');
      nodes.push({
        id,
        port: ports[index]!,
        database,
        env: { NODE_ID: id, PEERS: peers, CLUSTER_SECRET: TEST_CLUSTER_SECRET, DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...extraEnv },
      });
    }
    const cluster = new TestCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => cluster.startNode(node.id)));
      await cluster.waitUntilServing(nodes.map((node) => node.id));
    } catch (error) {
      await cluster.stop(); // a suite whose beforeAll fails never calls stop: leave no process behind
      throw error;
    }
    return cluster;
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  url(id: string): string {
    return `http://127.0.0.1:${this.node(id).port}`;
  }

  async startNode(id: string): Promise<void> {
    const node = this.node(id);
    node.process = await spawnNode(node.env, { port: node.port });
  }

  /**
   * New nodes catch up from their peers before their acceptors vote; until a
   * majority votes, quorum reads answer 503. Waits until each node serves one.
   */
  async waitUntilServing(ids: string[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const id of ids) {
      for (;;) {
        const response = await fetch(`${this.url(id)}/kv-store/v1/kv/__serving__`).catch(() => undefined);
        if (response?.status === 404) break;
        if (Date.now() > deadline) throw new Error(`node ${id} does not serve quorum reads:\n${this.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Whether the node's acceptor votes (it does not while it catches up after a disk loss). */
  async isVoting(id: string): Promise<boolean> {
    const response = await fetch(`${this.url(id)}/internal/v1/scan`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_CLUSTER_SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ after: null, limit: 1 }),
    });
    return ((await response.json()) as { voting: boolean }).voting;
  }

  /** SIGKILL: no goodbye, no flushing, like a power cut of the process. */
  async kill(id: string): Promise<void> {
    const node = this.node(id);
    node.process?.kill('SIGKILL');
    await node.process?.exited;
    node.process = undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.kill(node.id)));
    await Promise.all(this.nodes.map((node) => node.database.drop()));
  }

  logs(): string {
    return this.nodes.map((node) => `--- ${node.id}\n${node.process?.output() ?? '(not running)'}`).join('\n');
  }
}
