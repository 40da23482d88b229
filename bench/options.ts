import { parseArgs } from 'node:util';
import { KEY_PATTERNS, KeyPattern, WORKLOADS, WorkloadName } from './workloads';

export interface BenchOptions {
  /** Seconds measured per run. */
  readonly durationSeconds: number;
  /** Seconds of load before each measured window, discarded (JIT, pools, caches). */
  readonly warmupSeconds: number;
  /**
   * Seconds of mixed load on each target once, after the preload and before
   * any measurement: V8 compiles a path only after it has run a while, and the
   * cluster's processes share the cores, so they warm up more slowly than a
   * single node (see docs/benchmarks.md).
   */
  readonly settleSeconds: number;
  readonly rounds: number;
  readonly concurrencies: readonly number[];
  readonly workloads: readonly WorkloadName[];
  /** Hot keys first, then cold ones (KeyPattern). */
  readonly patterns: readonly KeyPattern[];
  /** Hot keys: preloaded into every target and settled. */
  readonly keyCount: number;
  /** Cold keys: the space they are drawn from, never preloaded. */
  readonly coldKeyCount: number;
  /** Also run etcd's three members (the etcd binary on PATH) and compare the cluster with them. */
  readonly etcd: boolean;
  /** Bytes of each value as JSON (a JSON string of this length, quotes included). */
  readonly valueBytes: number;
  /**
   * spread: load on every cluster node (connection i to node i mod 3);
   * one: all load through the cluster's first node (the one the keys were preloaded through).
   */
  readonly clusterEntry: 'spread' | 'one';
  readonly jsonFile?: string;
  readonly quick: boolean;
}

const USAGE = `usage: npm run bench -- [options]
  --duration S       seconds measured per run (default 5)
  --warmup S         seconds of discarded load before each run (default 1)
  --settle S         seconds of discarded mixed load on each target before the first run (default 15)
  --rounds R         single/cluster rounds per row; the table shows medians (default 3)
  --concurrency LIST comma-separated connection counts (default 1,16,64)
  --workloads LIST   comma-separated, of read,write,mixed,cas,list (default all; cas: read the version,
                     then write if it is unchanged; list: a page of 100 keys)
  --patterns LIST    hot (the preloaded keys, settled) and/or cold (uniform over --cold-keys keys,
                     no preload, no warm-up: nearly every key is new to its node); default hot,cold
  --keys N           hot keys, preloaded into each target (default 10000)
  --cold-keys N      the space cold keys are drawn from (default 1000000)
  --etcd             also run three etcd members (etcd on PATH: Debian's etcd-server) and print cluster/etcd
  --value-bytes N    size of each value as JSON (default 100)
  --cluster-entry E  spread (default): load on all cluster nodes; one: all through the first node
  --quick            smoke run: 1 s, 1 round, concurrency 16, 0.5 s warm-up
  --json FILE        also write the raw results as JSON
  --help`;

/** Parses the command line; exits with the usage text on --help or a bad option. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        settle: { type: 'string' },
        rounds: { type: 'string' },
        concurrency: { type: 'string' },
        workloads: { type: 'string' },
        keys: { type: 'string' },
        patterns: { type: 'string' },
        'cold-keys': { type: 'string' },
        etcd: { type: 'boolean', default: false },
        'value-bytes': { type: 'string' },
        'cluster-entry': { type: 'string' },
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return exitWithUsage((error as Error).message);
  }
  if (parsed.help) return exitWithUsage();

  const quick = parsed.quick === true;
  return {
    durationSeconds: positiveNumber('--duration', parsed.duration, quick ? 1 : 5),
    warmupSeconds: nonNegativeNumber('--warmup', parsed.warmup, quick ? 0.5 : 1),
    settleSeconds: nonNegativeNumber('--settle', parsed.settle, quick ? 1 : 15),
    rounds: positiveInteger('--rounds', parsed.rounds, quick ? 1 : 3),
    concurrencies: parsed.concurrency
      ? parsed.concurrency.split(',').map((item) => positiveInteger('--concurrency', item, 1))
      : quick
        ? [16]
        : [1, 16, 64],
    workloads: parsed.workloads ? parsed.workloads.split(',').map(workloadName) : WORKLOADS,
    patterns: parsed.patterns ? keyPatterns(parsed.patterns) : KEY_PATTERNS,
    keyCount: positiveInteger('--keys', parsed.keys, 10_000),
    coldKeyCount: positiveInteger('--cold-keys', parsed['cold-keys'], 1_000_000),
    etcd: parsed.etcd === true,
    valueBytes: Math.max(2, positiveInteger('--value-bytes', parsed['value-bytes'], 100)),
    clusterEntry: clusterEntry(parsed['cluster-entry']),
    jsonFile: parsed.json,
    quick,
  };
}

function clusterEntry(text: string | undefined): 'spread' | 'one' {
  if (text === undefined || text === 'spread' || text === 'one') return text ?? 'spread';
  return exitWithUsage(`--cluster-entry must be spread or one, not "${text}"`);
}

/** In the order hot, cold whatever the order given: the cold runs must find the processes warmed, the keys not. */
function keyPatterns(text: string): KeyPattern[] {
  const named = text.split(',').map((item) => item.trim());
  for (const name of named) {
    if (!(KEY_PATTERNS as readonly string[]).includes(name))
      return exitWithUsage(`unknown key pattern "${name}"; expected hot and/or cold`);
  }
  return KEY_PATTERNS.filter((pattern) => named.includes(pattern));
}

function workloadName(text: string): WorkloadName {
  const name = text.trim();
  if ((WORKLOADS as readonly string[]).includes(name)) return name as WorkloadName;
  return exitWithUsage(`unknown workload "${name}"; expected one of ${WORKLOADS.join(', ')}`);
}

function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  const value = text === undefined ? fallback : Number(text);
  return Number.isFinite(value) && value > 0 ? value : exitWithUsage(`${flag} must be a positive number`);
}

function nonNegativeNumber(flag: string, text: string | undefined, fallback: number): number {
  const value = text === undefined ? fallback : Number(text);
  return Number.isFinite(value) && value >= 0 ? value : exitWithUsage(`${flag} must be a number >= 0`);
}

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  const value = positiveNumber(flag, text, fallback);
  return Number.isInteger(value) ? value : exitWithUsage(`${flag} must be a positive integer`);
}

function exitWithUsage(problem?: string): never {
  if (problem) console.error(`bench: ${problem}`);
  console.error(USAGE);
  process.exit(problem ? 2 : 0);
}
