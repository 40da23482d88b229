import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  claimDataDirectory,
  DataDirectoryInUseError,
  findPostmaster,
  postmasterPid,
  signalProcess,
  stopPostmaster,
} from './embedded-postgres';

/**
 * The data directory's owner lock and the identification of a running server,
 * on real files and real processes. A "postgres" here is a copy of sleep (or of
 * sh) named postgres: what /proc shows of it is what it shows of a server.
 */
describe('embedded PostgreSQL: data directory lock and server identification', () => {
  let tmp: string;
  let fakePostgres: string;
  let fakePostgresShell: string;
  const started: ChildProcess[] = [];
  const strays: number[] = [];

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kv-pg-lock-'));
    await fs.chmod(tmp, 0o755); // the fallback test reads it as another user
    await fs.mkdir(path.join(tmp, 'bin'));
    await fs.mkdir(path.join(tmp, 'shell'));
    fakePostgres = path.join(tmp, 'bin', 'postgres');
    fakePostgresShell = path.join(tmp, 'shell', 'postgres');
    await fs.copyFile(which('sleep'), fakePostgres);
    await fs.copyFile(which('sh'), fakePostgresShell);
    await fs.chmod(fakePostgres, 0o755);
    await fs.chmod(fakePostgresShell, 0o755);
  });
  afterEach(() => {
    for (const child of started.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of strays.splice(0)) signalIgnoringGone(pid);
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function newDir(name: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(tmp, `${name}-`));
    await fs.chmod(dir, 0o755);
    return dir;
  }

  /** Runs `program` in `cwd` and waits until it has become that program (exec done). */
  async function run(program: string, args: string[], cwd: string): Promise<ChildProcess> {
    const child = spawn(program, args, { cwd, stdio: 'ignore' });
    started.push(child);
    const name = path.basename(program);
    while (comm(child.pid!) !== name) await sleep(10);
    return child;
  }

  /** The pid of a process that has exited. */
  async function deadPid(): Promise<number> {
    const child = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid!;
  }

  describe('claiming the data directory (node.lock)', () => {
    const lockOf = (dir: string) => path.join(dir, 'node.lock');

    it('claims a free directory, and its release removes the lock', async () => {
      const dir = await newDir('free');
      const ownership = await claimDataDirectory(dir);
      expect(JSON.parse(readFileSync(lockOf(dir), 'utf8'))).toMatchObject({ pid: process.pid });
      await ownership.release();
      expect(existsSync(lockOf(dir))).toBe(false);
    });

    it('refuses a directory whose owner runs, and leaves its lock alone', async () => {
      const dir = await newDir('owned');
      const owner = await run('sleep', ['30'], dir);
      const lock = `${JSON.stringify({ pid: owner.pid })}\n`;
      await fs.writeFile(lockOf(dir), lock);
      await expect(claimDataDirectory(dir)).rejects.toThrow(new DataDirectoryInUseError(dir, owner.pid!).message);
      expect(readFileSync(lockOf(dir), 'utf8')).toBe(lock);
    });

    it('takes over from an owner that is gone', async () => {
      const dir = await newDir('stale');
      await fs.writeFile(lockOf(dir), `${JSON.stringify({ pid: await deadPid(), startedAt: '1' })}\n`);
      const ownership = await claimDataDirectory(dir);
      expect(JSON.parse(readFileSync(lockOf(dir), 'utf8'))).toMatchObject({ pid: process.pid });
      await ownership.release();
      expect(await fs.readdir(dir)).toEqual([]);
    });

    it('lets only one of two starts that both read the same dead owner take over', async () => {
      // B reads the dead owner's lock; before B acts on it, A takes the directory over
      // from start to end. B must then find A's lock, not remove it and claim too.
      const dir = await newDir('race');
      await fs.writeFile(lockOf(dir), `${JSON.stringify({ pid: await deadPid(), startedAt: '1' })}\n`);
      const realReadFile = fs.readFile.bind(fs) as (file: string, encoding: 'utf8') => Promise<string>;
      let a: Promise<{ release(): Promise<void> }> | undefined;
      const spy = jest.spyOn(fs, 'readFile').mockImplementation((async (file: string, encoding: 'utf8') => {
        const content = await realReadFile(file, encoding);
        if (file === lockOf(dir) && !a) {
          a = claimDataDirectory(dir);
          await a.catch(() => undefined);
        }
        return content;
      }) as typeof fs.readFile);
      let b: Promise<{ release(): Promise<void> }>;
      try {
        b = claimDataDirectory(dir);
        await b.catch(() => undefined);
      } finally {
        spy.mockRestore();
      }
      const lockBeforeRelease = readFileSync(lockOf(dir), 'utf8');
      await expect(a).resolves.toBeDefined();
      await expect(b).rejects.toThrow(DataDirectoryInUseError);
      expect(JSON.parse(lockBeforeRelease)).toMatchObject({ pid: process.pid });
      await (await a!).release();
      expect(await fs.readdir(dir)).toEqual([]);
    });

    it('of many starts racing for a directory whose owner is gone, exactly one claims it', async () => {
      const dir = await newDir('many');
      await fs.writeFile(lockOf(dir), `${JSON.stringify({ pid: await deadPid(), startedAt: '1' })}\n`);
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => claimDataDirectory(dir)));
      const claimed = results.filter((result) => result.status === 'fulfilled');
      expect(claimed).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(DataDirectoryInUseError);
      }
      for (const ownership of claimed) await ownership.value.release();
      expect(await fs.readdir(dir)).toEqual([]);
    });

    it('takes over even when a start died in the middle of a takeover', async () => {
      const dir = await newDir('died-taking-over');
      const staleLock = `${JSON.stringify({ pid: await deadPid(), startedAt: '1' })}\n`;
      // Watch a takeover to learn what it holds while it removes the stale lock.
      await fs.writeFile(lockOf(dir), staleLock);
      const realReadFile = fs.readFile.bind(fs) as (file: string, encoding: 'utf8') => Promise<string>;
      const held = new Set<string>();
      const spy = jest.spyOn(fs, 'readFile').mockImplementation((async (file: string, encoding: 'utf8') => {
        for (const name of await fs.readdir(dir)) if (name !== 'node.lock') held.add(name);
        return realReadFile(file, encoding);
      }) as typeof fs.readFile);
      try {
        await (await claimDataDirectory(dir)).release();
      } finally {
        spy.mockRestore();
      }
      expect(held.size).toBe(1);

      // What a start killed at that moment leaves behind: the stale lock, and what it
      // held, naming a holder that is gone.
      await fs.writeFile(lockOf(dir), staleLock);
      for (const name of held) {
        await fs.writeFile(path.join(dir, name), `${JSON.stringify({ pid: await deadPid(), startedAt: '1' })}\n`);
      }
      const ownership = await claimDataDirectory(dir);
      expect(JSON.parse(readFileSync(lockOf(dir), 'utf8'))).toMatchObject({ pid: process.pid });
      await ownership.release();
      expect(await fs.readdir(dir)).toEqual([]);
    });
  });

  describe('finding the server of a cluster directory (postmaster.pid)', () => {
    const writePidFile = (clusterDir: string, pid: number, dataDir = clusterDir) =>
      fs.writeFile(path.join(clusterDir, 'postmaster.pid'), `${pid}\n${dataDir}\n1700000000\n5432\n`);

    it('finds a postgres working in the cluster directory', async () => {
      const clusterDir = await newDir('cluster');
      const server = await run(fakePostgres, ['30'], clusterDir);
      await writePidFile(clusterDir, server.pid!);
      expect(postmasterPid(clusterDir)).toBe(server.pid);
    });

    it('does not take a postgres working in another directory (a reused pid) for the server', async () => {
      const clusterDir = await newDir('cluster');
      const elsewhere = await run(fakePostgres, ['30'], await newDir('other-node'));
      await writePidFile(clusterDir, elsewhere.pid!);
      expect(postmasterPid(clusterDir)).toBeUndefined();
    });

    it('does not take a process that is no postgres, or is gone, for the server', async () => {
      const clusterDir = await newDir('cluster');
      const other = await run('sleep', ['30'], clusterDir);
      await writePidFile(clusterDir, other.pid!);
      expect(postmasterPid(clusterDir)).toBeUndefined();
      await writePidFile(clusterDir, await deadPid());
      expect(postmasterPid(clusterDir)).toBeUndefined();
    });

    it('does not take a backend (a child of the server, in the same directory) for the server', async () => {
      const clusterDir = await newDir('cluster');
      // "; :" keeps the shell from exec'ing: it stays the parent of its postgres child.
      const server = await run(fakePostgresShell, ['-c', `${fakePostgres} 30; :`], clusterDir);
      let backend: number | undefined;
      while (backend === undefined || comm(backend) !== 'postgres') {
        backend = Number(readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim()) || undefined;
        await sleep(10);
      }
      strays.push(backend);
      await writePidFile(clusterDir, backend);
      expect(postmasterPid(clusterDir)).toBeUndefined();
      await writePidFile(clusterDir, server.pid!);
      expect(postmasterPid(clusterDir)).toBe(server.pid);
    });

    const asRoot = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
    (asRoot ? it : it.skip)(
      "where the server's working directory cannot be read, goes by postmaster.pid's data directory",
      async () => {
        const clusterDir = await newDir('cluster');
        const server = await run(fakePostgres, ['30'], clusterDir);
        // Asked by user nobody, who may not read root's /proc/<pid>/cwd.
        const askAsNobody = async () => {
          const script = `console.log(require('./src/database/embedded-postgres').postmasterPid(${JSON.stringify(clusterDir)}) ?? 'none')`;
          const { stdout } = await promisify(execFile)(
            'setpriv',
            [
              '--reuid=65534',
              '--regid=65534',
              '--clear-groups',
              process.execPath,
              '-r',
              '@swc-node/register',
              '-e',
              script,
            ],
            { cwd: path.resolve(__dirname, '..', '..') },
          );
          return stdout.trim();
        };
        await writePidFile(clusterDir, server.pid!);
        expect(await askAsNobody()).toBe(String(server.pid));
        await writePidFile(clusterDir, server.pid!, path.join(tmp, 'another-cluster'));
        expect(await askAsNobody()).toBe('none');
      },
      30_000,
    );
  });

  describe('stopping a server that this process did not start', () => {
    it('stops it with SIGINT and waits until it has exited', async () => {
      const clusterDir = await newDir('cluster');
      const server = await run(fakePostgres, ['30'], clusterDir);
      const exited = new Promise((resolve) => server.once('exit', (_code, signal) => resolve(signal)));
      await fs.writeFile(path.join(clusterDir, 'postmaster.pid'), `${server.pid}\n${clusterDir}\n`);
      await stopPostmaster(findPostmaster(clusterDir)!);
      expect(await exited).toBe('SIGINT');
    });

    it('kills it if it is still there after the timeout', async () => {
      const clusterDir = await newDir('cluster');
      // An ignored signal stays ignored across exec: this postgres ignores SIGINT.
      const server = await run(fakePostgresShell, ['-c', `trap '' INT; exec ${fakePostgres} 30`], clusterDir);
      // Until the exec has happened: the shell (a copy named postgres too) has '30' in its own command line,
      // and a SIGINT that reached it before its trap ran would end it (seen under load).
      const execed = [fakePostgres, '30', ''].join('\0');
      while (readFileSync(`/proc/${server.pid}/cmdline`, 'utf8') !== execed) await sleep(10);
      const exited = new Promise((resolve) => server.once('exit', (_code, signal) => resolve(signal)));
      await fs.writeFile(path.join(clusterDir, 'postmaster.pid'), `${server.pid}\n${clusterDir}\n`);
      await stopPostmaster(findPostmaster(clusterDir)!, 300);
      expect(await exited).toBe('SIGKILL');
    });

    it('signals nothing once the pid belongs to another process, and a server already gone is no error', async () => {
      const clusterDir = await newDir('cluster');
      const server = await run(fakePostgres, ['30'], clusterDir);
      await fs.writeFile(path.join(clusterDir, 'postmaster.pid'), `${server.pid}\n${clusterDir}\n`);
      const found = findPostmaster(clusterDir)!;
      // The same pid with another start time: the server exited and its pid was reused.
      const reused = { pid: found.pid, startedAt: `${Number(found.startedAt) + 1}` };
      expect(signalProcess(reused, 'SIGKILL')).toBe(false);
      await stopPostmaster(reused, 100);
      expect(server.exitCode === null && server.signalCode === null).toBe(true);

      const gone = { pid: await deadPid(), startedAt: found.startedAt };
      expect(signalProcess(gone, 'SIGKILL')).toBe(false);
      await stopPostmaster(gone, 100);
    });
  });
});

function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function which(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (existsSync(path.join(dir, program))) return path.join(dir, program);
  }
  throw new Error(`${program} not found on PATH`);
}

function signalIgnoringGone(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
