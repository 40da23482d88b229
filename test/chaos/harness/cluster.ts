/**
 * N real node processes (`node dist/main.js`), each with its own database on
 * the PostgreSQL server at TEST_DATABASE_URL, wired to each other through the
 * proxies of a `Network` (node A's PEERS name B at the proxy A→B). Clients
 * talk to the nodes directly. Each node's output goes to `<dir>/<id>.log`,
 * appended across restarts with a marker line per start, kill, pause, resume.
 */
import path from 'node:path';
import { Cluster, ClusterNode } from '../../../scripts/launcher/cluster';
import { isReady, isVoting } from '../../../scripts/launcher/health-probe';
import { freePort } from '../../../scripts/launcher/ports';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { Network } from './proxy';

export const CHAOS_CLUSTER_SECRET = 'chaos-cluster-secret-0123456789';
const START_TIMEOUT_MS = 45_000;

export interface ChaosClusterOptions {
  readonly size: number;
  readonly requestTimeoutMs: number;
  /** Where the node logs go. */
  readonly logDir: string;
  /** The node's entry point, normally <repo>/dist/main.js. */
  readonly mainPath: string;
  readonly logLevel?: string;
  /** Harness messages (already timestamped by the caller if wanted). */
  readonly log?: (message: string) => void;
}

export type ChaosNode = ClusterNode & { readonly database: TestDatabase; readonly logPath: string };

/** The node processes come from the one launcher (scripts/launcher); this adds the proxies between them. */
export class ChaosCluster {
  readonly network = new Network();
  /** Node processes that died without the harness killing them: always a finding. */
  readonly unexpectedExits: string[] = [];
  private readonly log: (message: string) => void;

  private constructor(
    private readonly cluster: Cluster<{ database: TestDatabase; logPath: string }>,
    options: ChaosClusterOptions,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  get nodes(): ChaosNode[] {
    return this.cluster.nodes;
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    const proxyPorts = new Map<string, number>();
    for (const from of ids) for (const to of ids) if (from !== to) proxyPorts.set(`${from}>${to}`, await freePort());

    const databases: TestDatabase[] = [];
    let cluster: ChaosCluster | undefined;
    try {
      const nodes = await Cluster.plan({
        ids,
        secret: CHAOS_CLUSTER_SECRET,
        // Node A's PEERS name B at the proxy A→B.
        peerUrl: (from, to) => `http://127.0.0.1:${proxyPorts.get(`${from}>${to}`)}`,
        env: { REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs), LOG_LEVEL: options.logLevel ?? 'log' },
        main: options.mainPath,
        logFile: (id) => path.join(options.logDir, `${id}.log`),
        extra: async (id) => {
          databases.push(await createTestDatabase(`kv_chaos_${id}`));
          return { database: databases.at(-1)!, logPath: path.join(options.logDir, `${id}.log`) };
        },
        database: (_id, { database }) => ({ DATABASE_URL: database.url }),
      });
      cluster = new ChaosCluster(nodes, options);
    } catch (error) {
      await Promise.all(databases.map((database) => database.drop().catch(() => undefined)));
      throw error;
    }
    liveClusters.add(cluster);
    for (const id of ids) await cluster.network.setNodeUp(id, false);
    for (const [key, port] of proxyPorts) {
      const [from, to] = key.split('>') as [string, string];
      await cluster.network.addProxy(from, to, port, cluster.node(to).port);
    }
    try {
      await Promise.all(ids.map((id) => cluster.startNode(id)));
    } catch (error) {
      await cluster.stop({ keepDatabases: false });
      throw error;
    }
    return cluster;
  }

  node(id: string): ChaosNode {
    return this.cluster.node(id);
  }

  ids(): string[] {
    return this.cluster.ids();
  }

  isRunning(id: string): boolean {
    return this.node(id).process !== undefined;
  }

  /** Starts the node's process (with its database as it is) and waits until it answers HTTP. */
  async startNode(id: string): Promise<void> {
    const started = await this.cluster.startNode(id, { startTimeoutMs: START_TIMEOUT_MS });
    void started.exited.then((status) => {
      // The harness unregisters a process before it kills it: one still registered died by itself.
      if (this.node(id).process !== started) return;
      this.node(id).process = undefined;
      this.log(`node ${id} exited unexpectedly (${status})`);
      this.unexpectedExits.push(`${id} exited by itself (${status}) at ${new Date().toISOString()}`);
      void this.network.setNodeUp(id, false);
    });
    await this.network.setNodeUp(id, true);
  }

  /** SIGKILL: no goodbye, like a power cut of the process. Its database stays. */
  async kill(id: string): Promise<void> {
    if (!this.isRunning(id)) return;
    await this.cluster.kill(id);
    await this.network.setNodeUp(id, false);
  }

  pause(id: string): void {
    this.node(id).process?.pause();
  }

  resume(id: string): void {
    this.node(id).process?.resume();
  }

  /** Heals the network, resumes paused nodes and restarts dead ones. */
  async healAll(): Promise<void> {
    await this.network.heal();
    for (const node of this.nodes) this.resume(node.id);
    await Promise.all(this.nodes.filter((node) => !node.process).map((node) => this.startNode(node.id)));
  }

  /**
   * Waits until each node's acceptor votes. A brand-new node serves reads
   * through its peers before it votes, and while it does not, the cluster has
   * no spare acceptor: the workload must not start before.
   */
  waitUntilVoting(ids: readonly string[], timeoutMs: number): Promise<WaitResult> {
    return this.waitForEach(ids, timeoutMs, (id) => isVoting(this.cluster.url(id)));
  }

  /** Waits until each node can serve quorum operations (its readiness says so). */
  waitUntilServing(ids: readonly string[], timeoutMs: number): Promise<WaitResult> {
    return this.waitForEach(ids, timeoutMs, (id) => isReady(this.cluster.url(id)));
  }

  /** Polls each node in turn until `isReady` or the shared deadline; the ones that never were are `failing`. */
  private async waitForEach(
    ids: readonly string[],
    timeoutMs: number,
    ready: (id: string) => Promise<boolean>,
  ): Promise<WaitResult> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    const failing: string[] = [];
    for (const id of ids) {
      while (!(await ready(id))) {
        if (Date.now() > deadline) {
          failing.push(id);
          break;
        }
        await sleep(200);
      }
    }
    return { ok: failing.length === 0, waitedMs: Date.now() - started, failing };
  }

  async stop(options: { keepDatabases: boolean }): Promise<void> {
    liveClusters.delete(this);
    await this.cluster.killAll();
    await this.network.close();
    if (!options.keepDatabases) {
      for (const node of this.nodes) await node.database.drop().catch(() => undefined);
    }
  }

  databaseNames(): string[] {
    return this.nodes.map((node) => new URL(node.database.url).pathname.slice(1));
  }
}

export interface WaitResult {
  readonly ok: boolean;
  readonly waitedMs: number;
  readonly failing: string[];
}

const liveClusters = new Set<ChaosCluster>();

/**
 * For an interrupted run (SIGINT, SIGTERM): kills every node process this
 * harness started and drops their databases, within `timeoutMs`.
 */
export async function stopAllClusters(timeoutMs = 10_000): Promise<void> {
  const clusters = [...liveClusters];
  for (const cluster of clusters) for (const node of cluster.nodes) void node.process?.kill();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(clusters.map((cluster) => cluster.stop({ keepDatabases: false }).catch(() => undefined))),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  // A pending timer would hold the test process open for timeoutMs after the last test.
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
