/**
 * npm run cluster: three nodes on this machine (ports 3001-3003), each with its
 * own embedded PostgreSQL under ./data/<node>, talking to each other as peers.
 * Ctrl-C stops them all cleanly.
 *
 * npm run cluster -- --node n3: (re)starts just that node of the cluster, for
 * instance after a kill -9, with the same port, data and cluster secret (kept
 * in ./data/cluster-secret, readable by its owner only).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster } from './launcher/cluster';
import { NodeProcess } from './launcher/node-process';

const IDS = ['n1', 'n2', 'n3'];
const DEFAULT_BASE_PORT = 3001;

const USAGE = `usage: npm run cluster [-- [--node <id>] [--base-port <port>]]
  (no option)         start all three nodes (${IDS.join(', ')}) on ports ${DEFAULT_BASE_PORT}-${DEFAULT_BASE_PORT + IDS.length - 1}
  --node <id>         start only that node of the cluster (after it died, say); the others keep running where they are
  --base-port <port>  the first node's port; the others follow (default ${DEFAULT_BASE_PORT}); give the same to --node
environment: DATA_ROOT (default ./data), CLUSTER_SECRET (default: the one in <DATA_ROOT>/cluster-secret), LOG_LEVEL,
  LOG_FORMAT (default pretty: one readable line per event; json for the nodes' JSON lines)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { node: { type: 'string' }, 'base-port': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const basePort = Number(values['base-port'] ?? DEFAULT_BASE_PORT);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + IDS.length - 1 > 65535)
    throw new UsageError(`bad --base-port ${values['base-port']}`);
  if (values.node !== undefined && !IDS.includes(values.node))
    throw new UsageError(`no node ${values.node} in this cluster (${IDS.join(', ')})`);
  const only = values.node === undefined ? IDS : [values.node];

  const dataRoot = path.resolve(process.env.DATA_ROOT ?? 'data');
  // Not 0700: as root the embedded PostgreSQL runs as user 'postgres', which must enter it.
  await fs.mkdir(dataRoot, { recursive: true });
  const cluster = await Cluster.plan({
    ids: IDS,
    ports: new Map(IDS.map((id, index) => [id, basePort + index])),
    secret: process.env.CLUSTER_SECRET || (await readOrCreateSecret(dataRoot)), // empty counts as unset
    database: (id) => ({ DATA_DIR: path.join(dataRoot, id) }),
    // For a person at a terminal: readable lines (the nodes' own default is JSON, for log collectors).
    env: { LOG_LEVEL: process.env.LOG_LEVEL || 'info', LOG_FORMAT: process.env.LOG_FORMAT || 'pretty' },
    onLine: (id, line) => console.log(`[${id}] ${line}`),
  });
  const restartCommand = (id: string) =>
    `npm run cluster -- --node ${id}${basePort === DEFAULT_BASE_PORT ? '' : ` --base-port ${basePort}`}` +
    (process.env.DATA_ROOT ? ` (with DATA_ROOT=${process.env.DATA_ROOT})` : '');

  let stopping = false;
  const running = new Set<NodeProcess>();
  const watch = (id: string, node: NodeProcess) => {
    running.add(node);
    void node.exited.then((status) => {
      running.delete(node);
      console.log(
        stopping ? `[${id}] stopped (${status})` : `[${id}] exited (${status}); restart it with: ${restartCommand(id)}`,
      );
      // A node that dies stays dead (the others keep serving): the cluster is
      // for trying out failures too. The launcher exits once every node has.
      if (running.size === 0) process.exit(stopping ? 0 : 1);
    });
  };
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    if (running.size === 0) process.exit(0);
    for (const node of running) void node.stop();
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);

  console.log(`kv-store: starting ${only.join(', ')} (data under ${dataRoot}) ...`);
  const started = await Promise.allSettled(
    only.map(async (id) => {
      const node = await cluster.startNode(id);
      watch(id, node);
      return node;
    }),
  );
  const failed = only.filter((_, index) => started[index]!.status === 'rejected');
  for (const id of failed) console.error(`[${id}] did not start; see its lines above`);
  if (failed.length === only.length) process.exit(1);

  console.log(
    `kv-store ${values.node ? `node ${values.node}` : 'cluster'} running:\n` +
      only
        .filter((id) => !failed.includes(id))
        .map(
          (id) =>
            `  ${id}: http://127.0.0.1:${cluster.node(id).port}/kv-store/v1  (pid ${cluster.node(id).process!.pid})`,
        )
        .join('\n') +
      `\nCtrl-C stops ${values.node ? 'it' : 'them'}. A node that dies (kill -9 <pid>) stays down; restart it with: ${restartCommand('<id>')}\n` +
      "(kill -9 leaves that node's PostgreSQL running until the node's next start, which stops it)",
  );
  const voting = only.filter((id) => !failed.includes(id));
  await cluster
    .waitUntilVoting(voting, 120_000)
    .then(() => console.log(`kv-store: ${voting.join(', ')} ${voting.length === 1 ? 'votes' : 'vote'}`))
    .catch((error: unknown) => console.error(`kv-store: ${(error as Error).message.split('\n')[0]}`));
}

/** The cluster's secret, made on first use and kept for restarts of single nodes. */
async function readOrCreateSecret(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'cluster-secret');
  try {
    await fs.writeFile(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await fs.readFile(file, 'utf8')).trim();
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  console.error(`kv-store cluster: ${(error as Error).message}`);
  if (error instanceof UsageError) console.error(USAGE);
  process.exit(error instanceof UsageError ? 2 : 1);
});
