import { ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/launcher/ports';
import { postmasterPid } from '../../src/database/embedded-postgres';
import { http, kvPath } from '../support/http';

const ROOT = path.resolve(__dirname, '..', '..');

/** `npm run cluster` as a user runs it in a terminal: its own process group, Ctrl-C to the group. */
class Launcher {
  output = '';
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;

  constructor(args: string[], dataRoot: string) {
    this.child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'scripts', 'cluster.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_ROOT: dataRoot, CLUSTER_SECRET: '', LOG_LEVEL: 'info', LOG_FORMAT: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 150_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`no ${pattern} in:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  ctrlC(): void {
    process.kill(-this.child.pid!, 'SIGINT');
  }

  killGroup(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('npm run cluster (real processes, embedded PostgreSQL)', () => {
  let dataRoot: string;
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    dataRoot = await mkdtemp(path.join(os.tmpdir(), 'kv-cluster-script-'));
    await chmod(dataRoot, 0o755); // as root, PostgreSQL runs as user 'postgres', who must enter it
  });
  afterAll(async () => {
    for (const launcher of launchers) launcher.killGroup();
    await Promise.all(launchers.map((launcher) => launcher.exited));
    // A killed group leaves the embedded servers running: a last start of nobody stops them.
    for (const id of ['n1', 'n2', 'n3']) await stopPostgresIn(path.join(dataRoot, id, 'pg'));
    await rm(dataRoot, { recursive: true, force: true });
  }, 60_000);

  it('restarts one killed node with --node, and stops everything on Ctrl-C', async () => {
    const basePort = await threeFreePorts();
    const cluster = new Launcher(['--base-port', String(basePort)], dataRoot);
    launchers.push(cluster);
    await cluster.waitFor(/kv-store: n1, n2, n3 vote/);
    // Readable lines by default, for a person at a terminal: time, level, node, [context], message.
    expect(cluster.output).toMatch(/^\[n1\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO: n1 \[kv-store\] node n1 listening on /m);
    expect(cluster.output).not.toMatch(/^\[n\d\] \{/m); // no JSON line
    const [, pid] = await cluster.waitFor(/n3: http:\S+ {2}\(pid (\d+)\)/);
    expect(statSync(path.join(dataRoot, 'cluster-secret')).mode & 0o777).toBe(0o600);
    const n3 = `http://127.0.0.1:${basePort + 2}`;
    expect((await http(n3, 'PUT', kvPath('before-kill'), { json: { value: 'kept' } })).status).toBe(201);

    process.kill(Number(pid), 'SIGKILL');
    const [, command] = await cluster.waitFor(/\[n3\] exited \(SIGKILL\); restart it with: (npm run cluster -- .*)\n/);
    expect(command).toBe(`npm run cluster -- --node n3 --base-port ${basePort} (with DATA_ROOT=${dataRoot})`);

    const restarted = new Launcher(['--node', 'n3', '--base-port', String(basePort)], dataRoot);
    launchers.push(restarted);
    await restarted.waitFor(/kv-store: n3 votes/);
    expect(restarted.output).toMatch(/left running by a previous run/); // the killed node's PostgreSQL, adopted
    const read = await http(n3, 'GET', kvPath('before-kill'));
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('kept');
    expect(
      (await http(`http://127.0.0.1:${basePort}`, 'PUT', kvPath('after-restart'), { json: { value: 1 } })).status,
    ).toBe(201);

    restarted.ctrlC();
    cluster.ctrlC();
    expect(await restarted.exited).toBe(0);
    expect(await cluster.exited).toBe(0);
    for (const launcher of [cluster, restarted]) {
      expect(launcher.output).not.toMatch(/\bERROR\b|terminating connection|Connection terminated/);
    }
  }, 240_000);
});

/** Three consecutive free ports, as the cluster script takes a base port. */
async function threeFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if ((await canListen(port + 1)) && (await canListen(port + 2))) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function stopPostgresIn(clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  while (postmasterPid(clusterDir) !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
}
