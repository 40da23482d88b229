/**
 * How long a node on an empty database takes to catch up, and how much memory it needs:
 * `npm run build && node -r @swc-node/register bench/catch-up.ts --keys 20000,200000,1000000`.
 *
 * For each key count: a three-node cluster on the PostgreSQL server at --database-url (one
 * database per node, made and dropped here) starts once, so the migrations run and n1 and n2
 * are caught up; then all three stop, n1's database is filled with N registers of
 * `--value-bytes` values by SQL (rows as a write through n1 leaves them: promised at the next
 * ballot, accepted, version 1, a lineage of the write's ballot, unsettled, a stamp), n2's
 * database is a copy of n1's in which every tenth key holds a newer version (a write n1 missed),
 * and n3's database is dropped and made again, empty. n1 and n2 start; then n3, and the clock
 * runs from its spawn until its acceptor votes (its health says quorum.thisNodeVotes). The time
 * includes the node's start and the 2 × REQUEST_TIMEOUT_MS it waits before copying (see
 * catch-up.service.ts); the node's own log line gives the copy alone. Peak memory is n3's VmHWM
 * (the process's peak resident set, from /proc) when it votes; the PostgreSQL servers are not in it.
 * Finally n3's registers are checked: N rows, the newer version where n2 had one.
 *
 * --main runs another build (for a before/after comparison: an export of the older commit,
 * built, with BENCH_COMMIT naming it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { Cluster } from '../scripts/launcher/cluster';
import { MAIN } from '../scripts/launcher/node-process';
import { describeMachine, formatMachine, formatTable } from './report';

const USAGE = `usage: node -r @swc-node/register bench/catch-up.ts [options]
  --keys LIST         comma-separated key counts (default 20000,200000,1000000)
  --value-bytes N     size of each value as JSON (default 100)
  --database-url URL  a PostgreSQL server the benchmark may create databases on
                      (default $BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --main FILE         the node's entry point (default this checkout's dist/main.js)
  --help`;

const CATCH_UP_TIMEOUT_MS = 600_000;
const SAMPLE_MS = 50;

interface Options {
  readonly keyCounts: number[];
  readonly valueBytes: number;
  readonly serverUrl: string;
  readonly main: string;
}

interface Result {
  readonly keys: number;
  readonly votingAfterMs: number;
  readonly copyLine: string;
  readonly peakRssMiB: number;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const results: Result[] = [];
  for (const keys of options.keyCounts) {
    const result = await measure(keys, options);
    console.log(
      `${keys} keys: voting ${(result.votingAfterMs / 1000).toFixed(1)} s after start, peak RSS ${result.peakRssMiB} MiB (${result.copyLine})`,
    );
    results.push(result);
  }
  console.log(formatMachine(describeMachine()));
  console.log(`node: ${options.main}, values of ${options.valueBytes} bytes`);
  console.log(
    formatTable(
      ['keys', 'start to voting, s', 'peak RSS, MiB', "the node's log"],
      results.map((r) => [r.keys, (r.votingAfterMs / 1000).toFixed(1), r.peakRssMiB, r.copyLine]),
    ),
  );
}

async function measure(keys: number, options: Options): Promise<Result> {
  const run = randomBytes(4).toString('hex');
  const databases = new Map(['n1', 'n2', 'n3'].map((id) => [id, `kv_bench_catchup_${run}_${id}`]));
  const url = (id: string) => databaseUrl(options.serverUrl, databases.get(id)!);
  for (const name of databases.values()) await admin(options.serverUrl, `CREATE DATABASE ${name}`);
  let copyLine = '';
  const cluster = await Cluster.plan({
    size: 3,
    secret: randomBytes(24).toString('base64url'),
    database: (id) => ({ DATABASE_URL: url(id) }),
    env: { LOG_LEVEL: 'log' },
    main: options.main,
    // BENCH_NODE_ARGS: extra node flags, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' (as in bench/node-processes.ts).
    nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    label: (id) => `catch-up/${id}`,
    // Each node's output, kept after the run (the node's own view of its catch-up, GC traces with --trace-gc).
    logFile: (id) => path.join(os.tmpdir(), `kv-bench-catch-up-${run}-${id}.log`),
    onLine: (id, line) => {
      if (id === 'n3' && line.includes('"caught up')) copyLine = messageOf(line) ?? copyLine;
    },
  });
  try {
    // Once, so that the migrations make the schema and n1 and n2 mark their databases caught up.
    await Promise.all(cluster.ids().map((id) => cluster.startNode(id, { startTimeoutMs: 120_000 })));
    await cluster.waitUntilVoting(cluster.ids(), 120_000);
    await Promise.all(cluster.ids().map((id) => cluster.node(id).process!.stop()));

    const filling = Date.now();
    await fill(url('n1'), keys, options.valueBytes);
    await admin(options.serverUrl, `DROP DATABASE ${databases.get('n2')}`);
    await admin(options.serverUrl, `CREATE DATABASE ${databases.get('n2')} TEMPLATE ${databases.get('n1')}`);
    await newerOnN2(url('n2'));
    await admin(options.serverUrl, `DROP DATABASE ${databases.get('n3')}`);
    await admin(options.serverUrl, `CREATE DATABASE ${databases.get('n3')}`);
    console.log(`node logs: ${path.join(os.tmpdir(), `kv-bench-catch-up-${run}-*.log`)}`);
    console.log(`${keys} keys loaded into n1 and n2 in ${((Date.now() - filling) / 1000).toFixed(1)} s`);

    await Promise.all(['n1', 'n2'].map((id) => cluster.startNode(id, { startTimeoutMs: 120_000 })));
    await cluster.waitUntilVoting(['n1', 'n2'], 120_000);

    const started = Date.now();
    const n3 = await cluster.startNode('n3', { startTimeoutMs: 120_000 });
    let peakRss = 0;
    while (!(await n3.isVoting())) {
      peakRss = Math.max(peakRss, memoryKiB(n3.pid, 'VmRSS'));
      if (!n3.isRunning()) throw new Error(`n3 exited while catching up:\n${n3.output()}`);
      if (Date.now() - started > CATCH_UP_TIMEOUT_MS) throw new Error(`n3 did not catch up:\n${n3.output()}`);
      await sleep(SAMPLE_MS);
    }
    const votingAfterMs = Date.now() - started;
    // The kernel's own peak covers any moment between two samples.
    peakRss = Math.max(peakRss, memoryKiB(n3.pid, 'VmHWM'));
    await checkCopy(url('n3'), keys);
    return { keys, votingAfterMs, copyLine, peakRssMiB: Math.round(peakRss / 1024) };
  } finally {
    await Promise.all(cluster.ids().map(async (id) => cluster.node(id).process?.stop()));
    for (const name of databases.values())
      await admin(options.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * N registers as a write through n1 leaves them: accepted at a ballot of n1, promised at the
 * next one (the one-round-trip path's promise), present, version 1, the write's ballot at the
 * head of the lineage, unsettled, with a stamp; keys in byte order of a counter.
 */
async function fill(url: string, keys: number, valueBytes: number): Promise<void> {
  const ballot = (counter: string) => `lpad(to_hex(${counter}), 14, '0') || '.00000002.n1'`;
  // A JSON string of valueBytes bytes, quotes included: hex digits, so nothing needs escaping.
  const payload = `substr(repeat(md5(i::text), ${Math.ceil(valueBytes / 32) + 1}), 1, ${valueBytes - 2})`;
  await query(
    url,
    `INSERT INTO kv_register (key, promised, accepted, present, value, version, lineage, unsettled, stamp)
     SELECT 'bench/' || lpad(i::text, 10, '0'), ${ballot('2 * i + 1')}, ${ballot('2 * i')}, true,
            to_json(${payload}), 1, ARRAY[${ballot('2 * i')}, ''], true, 1796000000000000 + i
       FROM generate_series(1, $1::int) AS i`,
    [keys],
  );
  await query(url, 'VACUUM ANALYZE kv_register');
}

/** Every tenth key written again through n2 while n1 missed it: version 2 at a ballot of n2. */
async function newerOnN2(url: string): Promise<void> {
  const ballot = `lpad(to_hex(3000000000::bigint + substr(key, 7)::bigint), 14, '0') || '.00000002.n2'`;
  await query(url, `UPDATE node_meta SET value = $1 WHERE name IN ('incarnation', 'caught_up')`, [randomUUID()]);
  await query(
    url,
    `UPDATE kv_register SET accepted = ${ballot}, promised = ${ballot}, version = 2, value = to_json('newer'::text),
            lineage = ARRAY[${ballot}, accepted, ''], stamp = stamp + 1
      WHERE substr(key, 7)::int % 10 = 0`,
  );
  await query(url, 'VACUUM ANALYZE kv_register');
}

async function checkCopy(url: string, keys: number): Promise<void> {
  const [row] = await query<{ count: string; newer: string }>(
    url,
    `SELECT count(*) AS count, count(*) FILTER (WHERE version = 2 AND value::text = '"newer"') AS newer
       FROM kv_register WHERE key LIKE 'bench/%'`,
  );
  const expected = { count: String(keys), newer: String(Math.floor(keys / 10)) };
  if (row?.count !== expected.count || row.newer !== expected.newer)
    throw new Error(`n3's copy is wrong: ${JSON.stringify(row)}, expected ${JSON.stringify(expected)}`);
}

function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process is gone
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  await query(serverUrl, sql);
}

async function query<Row = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        keys: { type: 'string' },
        'value-bytes': { type: 'string' },
        'database-url': { type: 'string' },
        main: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const keyCounts = (values.keys ?? '20000,200000,1000000').split(',').map(Number);
  const valueBytes = Number(values['value-bytes'] ?? 100);
  if (keyCounts.some((n) => !Number.isSafeInteger(n) || n < 1) || !Number.isSafeInteger(valueBytes) || valueBytes < 8) {
    console.error(USAGE);
    process.exit(2);
  }
  return {
    keyCounts,
    valueBytes,
    serverUrl:
      values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    main: path.resolve(values.main ?? MAIN),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/** The message of one of the node's JSON log lines (undefined for anything else). */
function messageOf(line: string): string | undefined {
  try {
    const { msg } = JSON.parse(line) as { msg?: unknown };
    return typeof msg === 'string' ? msg : undefined;
  } catch {
    return undefined;
  }
}
