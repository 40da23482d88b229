import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from '../scripts/launcher/cluster';
import { NodeProcess } from '../scripts/launcher/node-process';

/** Four embedded PostgreSQL servers run initdb at once on two cores: give them time. */
const START_TIMEOUT_MS = 180_000;

/** A node the benchmark runs: a launcher process (its name, e.g. "cluster/n2", is `name`). */
export type KvNode = NodeProcess;

export interface Target {
  readonly name: string;
  readonly nodes: readonly KvNode[];
}

/**
 * Every node process the benchmark starts (through the one launcher in
 * scripts/launcher), with their data directories under one temporary root, so
 * that one stopAll() (from a finally block or a signal handler) stops them all
 * and removes their files.
 */
export class NodeFleet {
  private readonly nodes: KvNode[] = [];
  private stopping?: Promise<void>;

  private constructor(private readonly root: string) {}

  static async create(): Promise<NodeFleet> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kv-bench-'));
    // mkdtemp makes it 0700; as root the embedded PostgreSQL runs as user
    // 'postgres', which must be able to enter every directory down to its data.
    await fs.chmod(root, 0o755);
    return new NodeFleet(root);
  }

  get dataRoot(): string {
    return this.root;
  }

  /**
   * Starts `size` nodes as one target: a single node (size 1) or a cluster
   * whose nodes list each other as peers. Resolves once all of them vote and
   * accept a write.
   */
  async startTarget(
    name: string,
    size: number,
    clusterSecret = randomBytes(24).toString('base64url'),
  ): Promise<Target> {
    if (this.stopping) throw new Error('the fleet is stopping');
    const cluster = await Cluster.plan({
      size,
      secret: clusterSecret,
      // The topology comes from the benchmark alone (the launcher ignores an
      // inherited DATABASE_URL or PEERS); tuning variables such as
      // REQUEST_TIMEOUT_MS or DATABASE_POOL_SIZE do pass through.
      database: (id) => ({ DATA_DIR: path.join(this.root, `${name}-${id}`) }),
      env: { LOG_LEVEL: 'warn' },
      label: (id) => `${name}/${id}`,
      // BENCH_NODE_ARGS: extra node flags for the service processes, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
      // (NODE_OPTIONS refuses --cpu-prof).
      nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    });
    const nodes = await Promise.all(
      cluster.ids().map(async (id) => {
        const node = await cluster.startNode(id, { startTimeoutMs: START_TIMEOUT_MS });
        this.nodes.push(node);
        return node;
      }),
    );
    // Measuring before all of them vote would measure a cluster short of an acceptor.
    await cluster.waitUntilVoting(cluster.ids(), START_TIMEOUT_MS);
    await Promise.all(nodes.map((node) => waitUntilWritable(node)));
    return { name, nodes };
  }

  /** How a node that is no longer running ended: exit code or signal. */
  static exitStatus(node: KvNode): string {
    return node.exitStatus();
  }

  /** Nodes that exited although nobody asked them to stop. */
  unexpectedExits(): KvNode[] {
    return this.stopping ? [] : this.nodes.filter((node) => !node.isRunning());
  }

  allNodes(): readonly KvNode[] {
    return this.nodes;
  }

  /** Idempotent: stop every node (and its embedded PostgreSQL), then remove the data directories. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.nodes.map((node) => node.stop()));
      await fs.rm(this.root, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Last resort on a second Ctrl-C: no waiting. */
  killAllNow(): void {
    for (const node of this.nodes) void node.kill({ alsoEmbeddedPostgres: true });
  }
}

/** The end-to-end check: a write through this node succeeds. */
async function waitUntilWritable(node: KvNode): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: string;
  for (;;) {
    try {
      const response = await fetch(`${node.url}/kv-store/v1/kv/__bench_ready__`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: node.name }),
        signal: AbortSignal.timeout(5000),
      });
      if (response.ok) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = String(error);
    }
    if (!node.isRunning())
      throw new Error(`${node.name} exited before accepting writes:\n${node.outputLines().join('\n')}`);
    if (Date.now() > deadline)
      throw new Error(`${node.name} did not accept a write within ${START_TIMEOUT_MS} ms (last: ${last})`);
    await sleep(250);
  }
}
