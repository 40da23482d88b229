import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findPostmaster, liveOwnerOf, signalProcess, stopPostmaster } from '../../src/database/embedded-postgres';
import { isLive, isReady, isVoting } from './health-probe';

/** The node's entry point: run `npm run build` first. */
export const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');
/** The node's own shutdown grace is 10 s; a little more before it is forced. */
const STOP_TIMEOUT_MS = 20_000;
const KEPT_LINES = 2000;
const POLL_MS = 100;

export interface NodeSpec {
  readonly id: string;
  readonly port: number;
  /**
   * Everything but NODE_ID, PORT and HOST (which come from the spec): the
   * database (DATABASE_URL, or DATA_DIR for the embedded server), PEERS,
   * CLUSTER_SECRET, LOG_LEVEL and any tuning variable.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Appends the node's output here, with a marker line at each start, signal and exit. */
  readonly logFile?: string;
  /** Called with every line the node prints. */
  readonly onLine?: (line: string) => void;
  /** Extra flags for `node` itself, such as --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** How messages name the node; its id by default. */
  readonly label?: string;
  /** The entry point, if not this checkout's dist/main.js (the chaos harness can test another build). */
  readonly main?: string;
}

export type ExitStatus = number | NodeJS.Signals;

/**
 * One running `node dist/main.js`. start() resolves once it answers HTTP; the
 * waits for readiness and voting, the stops, and the chaos signals (SIGKILL,
 * SIGSTOP, SIGCONT) are here so every launcher does them the same way.
 */
export class NodeProcess {
  readonly url: string;
  readonly pid: number;
  /** Resolves once the process has exited, with its exit code or signal. */
  readonly exited: Promise<ExitStatus>;
  private readonly lines: string[] = [];
  private lineCount = 0;
  private paused = false;

  private constructor(
    readonly spec: NodeSpec,
    readonly child: ChildProcess,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    this.pid = child.pid ?? -1;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.mark(`exited (${signal ?? code})`);
        resolve(signal ?? code ?? -1);
      }),
    );
  }

  /** Spawns the node with its spec's environment and waits until it answers HTTP. */
  static async start(spec: NodeSpec, options: { startTimeoutMs?: number } = {}): Promise<NodeProcess> {
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), spec.main ?? MAIN], {
      // The topology comes from the spec alone: an inherited DATABASE_URL or
      // PEERS would put the node on a database or in a cluster it is not meant
      // for (an empty variable counts as unset). Tuning variables pass through.
      env: {
        ...process.env,
        DATABASE_URL: '',
        PEERS: '',
        REPLICA_NODES: '',
        CLUSTER_SECRET: '',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json', // the lines tests and benchmarks read; npm run cluster asks for pretty ones
        NO_COLOR: '1',
        ...spec.env,
        NODE_ID: spec.id,
        PORT: String(spec.port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new NodeProcess(spec, child);
    node.mark(`start (pid ${node.pid})`);
    node.collectOutput();
    try {
      await node.waitFor('answer HTTP', () => isLive(node.url, node.pid), options.startTimeoutMs ?? 60_000);
    } catch (error) {
      await node.kill(); // a node that never came up must not linger
      throw error;
    }
    return node;
  }

  get name(): string {
    return this.spec.label ?? this.spec.id;
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exit code or signal, or 'running'. */
  exitStatus(): string {
    return String(this.child.signalCode ?? this.child.exitCode ?? 'running');
  }

  /** The last lines the node printed (up to 2000), each with the seconds since its start. */
  outputLines(): readonly string[] {
    return this.lines;
  }

  output(): string {
    return this.lines.join('\n');
  }

  /** How many lines the node printed in total, kept or not. */
  outputLineCount(): number {
    return this.lineCount;
  }

  /** Until the node can serve quorum operations (its /health/ready says 200). */
  waitUntilReady(timeoutMs = 60_000): Promise<void> {
    return this.waitFor('be ready', () => isReady(this.url), timeoutMs);
  }

  /** Until this node's acceptor votes (after catching up, for a node on a new database). */
  waitUntilVoting(timeoutMs = 60_000): Promise<void> {
    return this.waitFor('vote', () => isVoting(this.url), timeoutMs);
  }

  isVoting(): Promise<boolean> {
    return isVoting(this.url);
  }

  /**
   * SIGTERM, and SIGKILL if it has not exited within the timeout. A node that
   * had to be killed leaves its embedded PostgreSQL running; that is stopped too.
   */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<ExitStatus> {
    this.resume();
    this.signal('SIGTERM');
    const timedOut = Symbol('timed out');
    if ((await Promise.race([this.exited, sleep(timeoutMs, timedOut, { ref: false })])) === timedOut) {
      console.error(`launcher: node ${this.name} did not stop within ${timeoutMs} ms of SIGTERM; killing it`);
      this.signal('SIGKILL');
    }
    const status = await this.exited;
    await this.stopOrphanedPostgres();
    return status;
  }

  /** SIGTERM without waiting: exited says how the shutdown went. */
  terminate(): void {
    this.resume();
    this.signal('SIGTERM');
  }

  /**
   * SIGKILL: no goodbye, like a power cut of the process. Its database (and
   * embedded server, unless told otherwise) stays.
   */
  async kill(options: { alsoEmbeddedPostgres?: boolean } = {}): Promise<ExitStatus> {
    this.signal('SIGKILL');
    if (options.alsoEmbeddedPostgres && this.spec.env.DATA_DIR) {
      const server = findPostmaster(path.join(this.spec.env.DATA_DIR, 'pg'));
      if (server) signalProcess(server, 'SIGKILL');
    }
    return this.exited;
  }

  /** SIGSTOP: the process freezes with its connections open. */
  pause(): void {
    if (this.paused || !this.isRunning()) return;
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.paused || !this.isRunning()) return;
    this.signal('SIGCONT');
    this.paused = false;
  }

  isPaused(): boolean {
    return this.paused;
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.isRunning()) return;
    this.mark(signal);
    this.child.kill(signal);
  }

  private async stopOrphanedPostgres(): Promise<void> {
    const dataDir = this.spec.env.DATA_DIR;
    if (!dataDir) return;
    // A later start on the same directory owns that server now.
    if (this.isRunning() || (await liveOwnerOf(dataDir)) !== undefined) return;
    const server = findPostmaster(path.join(dataDir, 'pg'));
    if (server) await stopPostmaster(server, STOP_TIMEOUT_MS);
  }

  private async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (!this.isRunning()) {
        throw new Error(`node ${this.name} exited (${this.exitStatus()}) before it would ${what}:\n${this.tail()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`node ${this.name} did not ${what} within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(POLL_MS);
    }
  }

  private tail(): string {
    return this.spec.logFile ? `see ${this.spec.logFile}` : this.lines.slice(-50).join('\n');
  }

  private collectOutput(): void {
    const started = Date.now();
    let partial = '';
    const keep = (lines: string[]): void => {
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.lineCount++;
        this.lines.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
        if (this.lines.length > KEPT_LINES) this.lines.shift();
        this.spec.onLine?.(line);
      }
    };
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString();
      if (this.spec.logFile) appendFileSync(this.spec.logFile, text);
      const pieces = (partial + text).split('\n');
      partial = pieces.pop()!;
      keep(pieces);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.once('close', () => keep([partial]));
  }

  private mark(event: string): void {
    if (this.spec.logFile)
      appendFileSync(this.spec.logFile, `\n--- launcher: ${this.spec.id} ${event} at ${new Date().toISOString()}\n`);
  }
}
