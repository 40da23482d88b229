import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/node-process';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
/** Four embedded PostgreSQL servers run initdb at once on two cores: give them time. */
const START_TIMEOUT_MS = 180_000;
/** The node's own shutdown grace is 10 s; a little more before we force it. */
const STOP_TIMEOUT_MS = 20_000;
const MAX_LOG_LINES = 500;

export interface KvNode {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Resolves once the process has exited, with its exit code or signal. */
  readonly exited: Promise<string>;
  isRunning(): boolean;
  /** The last lines the node printed, each prefixed with when (seconds since start). */
  logLines(): readonly string[];
  /** How many lines the node printed in total (kept or not). */
  logLineCount(): number;
}

export interface Target {
  readonly name: string;
  readonly nodes: readonly KvNode[];
}

/**
 * Every node process the benchmark starts, with their data directories under
 * one temporary root, so that one stopAll() (from a finally block or a signal
 * handler) stops them all and removes their files.
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
   * whose nodes list each other as peers. Resolves once all of them answer HTTP.
   */
  async startTarget(name: string, size: number, clusterSecret = randomBytes(24).toString('base64url')): Promise<Target> {
    if (this.stopping) throw new Error('the fleet is stopping');
    const ids = Array.from({ length: size }, (_, index) => `n${index + 1}`);
    const ports = await Promise.all(ids.map(() => freePort()));
    const nodes = ids.map((id, index) => {
      const peers = ids
        .map((peerId, peerIndex) => (peerIndex === index ? undefined : `${peerId}=http://127.0.0.1:${ports[peerIndex]}`))
        .filter((peer): peer is string => peer !== undefined)
        .join(',');
      const env: Record<string, string> = {
        NODE_ID: id,
        PORT: String(ports[index]),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(this.root, `${name}-${id}`),
        LOG_LEVEL: 'warn',
      };
      if (size > 1) Object.assign(env, { PEERS: peers, CLUSTER_SECRET: clusterSecret });
      return this.spawnNode(`${name}/${id}`, ports[index]!, env);
    });
    await Promise.all(nodes.map((node) => waitUntilServing(node)));
    if (size > 1) await Promise.all(nodes.map((node) => waitUntilVoting(node, clusterSecret)));
    await Promise.all(nodes.map((node) => waitUntilWritable(node)));
    return { name, nodes };
  }

  /** How a node that is no longer running ended: exit code or signal. */
  static exitStatus(node: KvNode): string {
    return String(node.child.signalCode ?? node.child.exitCode ?? 'running');
  }

  /** Nodes that exited although nobody asked them to stop. */
  unexpectedExits(): KvNode[] {
    return this.stopping ? [] : this.nodes.filter((node) => !node.isRunning());
  }

  allNodes(): readonly KvNode[] {
    return this.nodes;
  }

  /** Idempotent: SIGTERM to every node, wait for each to exit, then remove the data directories. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.nodes.map((node) => stopNode(node)));
      await fs.rm(this.root, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Last resort on a second Ctrl-C: no waiting. */
  killAllNow(): void {
    for (const node of this.nodes) {
      if (node.isRunning()) node.child.kill('SIGKILL');
      killPostmasterOf(node.dataDir, 'SIGKILL');
    }
  }

  private spawnNode(label: string, port: number, env: Record<string, string>): KvNode {
    // BENCH_NODE_ARGS: extra node flags for the service processes, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
    // (NODE_OPTIONS refuses --cpu-prof).
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, MAIN], {
      // The topology comes from the benchmark alone: an inherited DATABASE_URL
      // would replace the embedded PostgreSQL this benchmark is meant to measure,
      // and inherited PEERS would join nodes to a cluster they are not part of.
      // (An empty variable counts as unset.) Tuning variables such as
      // REQUEST_TIMEOUT_MS or DATABASE_POOL_SIZE do pass through.
      env: { ...process.env, DATABASE_URL: '', PEERS: '', REPLICA_NODES: '', CLUSTER_SECRET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    const lines: string[] = [];
    let lineCount = 0;
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        lineCount++;
        lines.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
        if (lines.length > MAX_LOG_LINES) lines.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(String(signal ?? code))));
    const node: KvNode = {
      label,
      url: `http://127.0.0.1:${port}`,
      pid: child.pid ?? -1,
      dataDir: env.DATA_DIR!,
      child,
      exited,
      isRunning: () => child.exitCode === null && child.signalCode === null,
      logLines: () => lines,
      logLineCount: () => lineCount,
    };
    this.nodes.push(node);
    return node;
  }
}

async function waitUntilServing(node: KvNode): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answersHttp(node.url))) {
    if (!node.isRunning()) {
      throw new Error(`${node.label} exited (${NodeFleet.exitStatus(node)}) before serving:\n${node.logLines().join('\n')}`);
    }
    if (Date.now() > deadline) throw new Error(`${node.label} did not serve within ${START_TIMEOUT_MS} ms:\n${node.logLines().join('\n')}`);
    await sleep(100);
  }
}

/**
 * A node of a brand-new cluster serves HTTP before its acceptor votes: it first
 * copies the registers of its peers (after a delay of twice the request
 * timeout). Measuring before all three vote would measure a two-acceptor
 * cluster, so wait for the peer API's ping to report voting. A node without
 * that endpoint (404) is taken as voting from the start.
 */
async function waitUntilVoting(node: KvNode, clusterSecret: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${node.url}/internal/v1/ping`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clusterSecret}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(2000),
      });
      if (response.status === 404) return;
      if (response.ok && ((await response.json()) as { voting?: unknown }).voting === true) return;
    } catch {
      // not answering yet: try again
    }
    if (!node.isRunning()) throw new Error(`${node.label} exited before voting:\n${node.logLines().join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${node.label} did not vote within ${START_TIMEOUT_MS} ms:\n${node.logLines().join('\n')}`);
    await sleep(250);
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
        body: JSON.stringify({ value: node.label }),
        signal: AbortSignal.timeout(5000),
      });
      if (response.ok) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = String(error);
    }
    if (!node.isRunning()) throw new Error(`${node.label} exited before accepting writes:\n${node.logLines().join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${node.label} did not accept a write within ${START_TIMEOUT_MS} ms (last: ${last})`);
    await sleep(250);
  }
}

/** Any HTTP answer (a 404 for an unknown key included) means the node is up and routing. */
async function answersHttp(baseUrl: string): Promise<boolean> {
  try {
    await fetch(`${baseUrl}/kv-store/v1/kv/__bench_probe__`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

async function stopNode(node: KvNode): Promise<void> {
  if (node.isRunning()) node.child.kill('SIGTERM');
  const timedOut = Symbol('timed out');
  const outcome = await Promise.race([node.exited, sleep(STOP_TIMEOUT_MS, timedOut, { ref: false })]);
  if (outcome === timedOut) {
    console.error(`bench: ${node.label} did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM; killing it`);
    node.child.kill('SIGKILL');
    await node.exited;
  }
  // A node that was killed (by us above, or by anything else) leaves its
  // PostgreSQL running: it is a separate process holding the data directory.
  if (killPostmasterOf(node.dataDir, 'SIGINT')) {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (postmasterPid(node.dataDir) !== undefined && Date.now() < deadline) await sleep(100);
    killPostmasterOf(node.dataDir, 'SIGKILL');
  }
}

/** Signals the PostgreSQL server a node started, if it still runs; true if there was one. */
function killPostmasterOf(dataDir: string, signal: NodeJS.Signals): boolean {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    // The pid file outlives a killed server; make sure the pid is still a postgres.
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('postgres') ? pid : undefined;
  } catch {
    return undefined;
  }
}

export { freePort };
