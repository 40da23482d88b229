/**
 * N real node processes (`node dist/main.js`), each with its own database on
 * the PostgreSQL server at TEST_DATABASE_URL, wired to each other through the
 * proxies of a `Network` (node A's PEERS name B at the proxy A→B). Clients
 * talk to the nodes directly. Each node's output goes to `<dir>/<id>.log`,
 * appended across restarts with a marker line per start, kill, pause, resume.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { httpRequest, keyPath } from './http';
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

export interface ChaosNode {
  readonly id: string;
  readonly port: number;
  readonly database: TestDatabase;
  readonly env: Record<string, string>;
  readonly logPath: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  paused: boolean;
  starts: number;
}

export class ChaosCluster {
  readonly network = new Network();
  /** Node processes that died without the harness killing them: always a finding. */
  readonly unexpectedExits: string[] = [];
  private readonly log: (message: string) => void;

  private constructor(
    readonly nodes: ChaosNode[],
    private readonly options: ChaosClusterOptions,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    const ports = new PortPicker();
    const nodePorts = new Map<string, number>();
    for (const id of ids) nodePorts.set(id, await ports.pick());
    const proxyPorts = new Map<string, number>();
    for (const from of ids) for (const to of ids) if (from !== to) proxyPorts.set(`${from}>${to}`, await ports.pick());

    const nodes: ChaosNode[] = [];
    for (const id of ids) {
      const database = await createTestDatabase(`kv_chaos_${id}`);
      const peers = ids
        .filter((peer) => peer !== id)
        .map((peer) => `${peer}=http://127.0.0.1:${proxyPorts.get(`${id}>${peer}`)}`)
        .join(',');
      nodes.push({
        id,
        port: nodePorts.get(id)!,
        database,
        logPath: path.join(options.logDir, `${id}.log`),
        env: {
          NODE_ID: id,
          PORT: String(nodePorts.get(id)),
          HOST: '127.0.0.1',
          PEERS: peers,
          CLUSTER_SECRET: CHAOS_CLUSTER_SECRET,
          DATABASE_URL: database.url,
          REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs),
          LOG_LEVEL: options.logLevel ?? 'log',
          NO_COLOR: '1',
        },
        paused: false,
        starts: 0,
      });
    }
    const cluster = new ChaosCluster(nodes, options);
    liveClusters.add(cluster);
    for (const id of ids) await cluster.network.setNodeUp(id, false);
    for (const [key, port] of proxyPorts) {
      const [from, to] = key.split('>') as [string, string];
      await cluster.network.addProxy(from, to, port, nodePorts.get(to)!);
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
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  ids(): string[] {
    return this.nodes.map((node) => node.id);
  }

  isRunning(id: string): boolean {
    return this.node(id).child !== undefined;
  }

  /** Starts the node's process (with its database as it is) and waits until it answers HTTP. */
  async startNode(id: string): Promise<void> {
    const node = this.node(id);
    if (node.child) throw new Error(`node ${id} is already running`);
    node.starts++;
    appendFileSync(node.logPath, `\n--- harness: start #${node.starts} of ${id} at ${new Date().toISOString()}\n`);
    const fd = openSync(node.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.options.mainPath], {
        env: { ...process.env, ...node.env },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    node.child = child;
    node.paused = false;
    node.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      appendFileSync(node.logPath, `--- harness: ${id} exited (${signal ?? code}) at ${new Date().toISOString()}\n`);
      if (node.child === child) {
        node.child = undefined;
        this.log(`node ${id} exited unexpectedly (${signal ?? code})`);
        this.unexpectedExits.push(`${id} exited by itself (${signal ?? code}) at ${new Date().toISOString()}`);
        void this.network.setNodeUp(id, false);
      }
    });

    const started = Date.now();
    for (;;) {
      const answer = await httpRequest({ port: node.port, method: 'GET', path: '/kv-store/v1/__probe__', timeoutMs: 1000 });
      if (answer.kind === 'response') break;
      if (node.child !== child) throw new Error(`node ${id} exited before listening; see ${node.logPath}`);
      if (Date.now() - started > START_TIMEOUT_MS) {
        child.kill('SIGKILL');
        throw new Error(`node ${id} did not listen within ${START_TIMEOUT_MS} ms; see ${node.logPath}`);
      }
      await sleep(100);
    }
    await this.network.setNodeUp(id, true);
  }

  /** SIGKILL: no goodbye, like a power cut of the process. Its database stays. */
  async kill(id: string): Promise<void> {
    const node = this.node(id);
    const child = node.child;
    if (!child) return;
    node.child = undefined;
    appendFileSync(node.logPath, `--- harness: SIGKILL ${id} at ${new Date().toISOString()}\n`);
    child.kill('SIGKILL');
    await node.exited;
    node.paused = false;
    await this.network.setNodeUp(id, false);
  }

  pause(id: string): void {
    const node = this.node(id);
    if (!node.child || node.paused) return;
    appendFileSync(node.logPath, `--- harness: SIGSTOP ${id} at ${new Date().toISOString()}\n`);
    node.child.kill('SIGSTOP');
    node.paused = true;
  }

  resume(id: string): void {
    const node = this.node(id);
    if (!node.child || !node.paused) return;
    node.child.kill('SIGCONT');
    node.paused = false;
    appendFileSync(node.logPath, `--- harness: SIGCONT ${id} at ${new Date().toISOString()}\n`);
  }

  /** Heals the network, resumes paused nodes and restarts dead ones. */
  async healAll(): Promise<void> {
    await this.network.heal();
    for (const node of this.nodes) this.resume(node.id);
    await Promise.all(this.nodes.filter((node) => !node.child).map((node) => this.startNode(node.id)));
  }

  /**
   * Waits until each node's acceptor votes (peer API ping). A brand-new node
   * serves reads through its peers before it votes, and while it does not, the
   * cluster has no spare acceptor: the workload must not start before.
   */
  waitUntilVoting(ids: readonly string[], timeoutMs: number): Promise<WaitResult> {
    return this.waitForEach(ids, timeoutMs, async (id) => {
      const answer = await httpRequest({
        port: this.node(id).port,
        method: 'POST',
        path: '/internal/v1/ping',
        headers: { authorization: `Bearer ${CHAOS_CLUSTER_SECRET}` },
        body: {},
        timeoutMs: 1000,
      });
      return answer.kind === 'response' && (answer.body as { voting?: unknown } | undefined)?.voting === true;
    });
  }

  /** Waits until each node answers a quorum read (404 of a key nobody writes). */
  waitUntilServing(ids: readonly string[], timeoutMs: number): Promise<WaitResult> {
    return this.waitForEach(ids, timeoutMs, async (id) => {
      const answer = await httpRequest({
        port: this.node(id).port,
        method: 'GET',
        path: keyPath('__serving__'),
        timeoutMs: this.options.requestTimeoutMs + 1000,
      });
      return answer.kind === 'response' && answer.status === 404;
    });
  }

  /** Polls each node in turn until `isReady` or the shared deadline; the ones that never were are `failing`. */
  private async waitForEach(
    ids: readonly string[],
    timeoutMs: number,
    isReady: (id: string) => Promise<boolean>,
  ): Promise<WaitResult> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    const failing: string[] = [];
    for (const id of ids) {
      while (!(await isReady(id))) {
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
    for (const node of this.nodes) {
      if (node.child) {
        const child = node.child;
        node.child = undefined;
        child.kill('SIGKILL');
        await node.exited;
      }
    }
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
  for (const cluster of clusters) for (const node of cluster.nodes) node.child?.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(clusters.map((cluster) => cluster.stop({ keepDatabases: false }).catch(() => undefined))),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  // A pending timer would hold the test process open for timeoutMs after the last test.
  clearTimeout(timer);
}

/**
 * Listening ports outside the kernel's ephemeral range (32768-60999 here), so
 * an outgoing connection's local port cannot take a proxy's port while the
 * proxy is closed to refuse connections.
 */
class PortPicker {
  private readonly taken = new Set<number>();

  async pick(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (this.taken.has(port)) continue;
      if (await canListen(port)) {
        this.taken.add(port);
        return port;
      }
    }
    throw new Error('no free port found in 20000-31999');
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
