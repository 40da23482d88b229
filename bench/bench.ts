/**
 * npm run bench [-- options]: throughput and latency of a single kv-store node
 * against a three-node cluster (and, with --etcd, against etcd's three
 * members), all started here (each kv-store node with its own embedded
 * PostgreSQL server) and measured in alternation, so that the ratios between
 * them survive a noisy machine. --help lists the options.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EtcdMembers, findEtcd } from './etcd-members';
import { runLoad } from './load';
import { BenchTarget, Measurement, runMatrix, workloadPlan } from './matrix';
import { KvNode, NodeFleet } from './node-processes';
import { BenchOptions, parseBenchOptions } from './options';
import { checkPreloaded, preloadKeys } from './preload';
import { describeMachine, formatMachine, MachineDescription } from './report';
import { CLUSTER, cpuTable, ETCD, failureReport, summarise, SummaryRow, throughputTable } from './summary';
import { keyName, valueOfSize } from './workloads';

const BASELINE = 'single';
const SETTLE_CONCURRENCY = 64;

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const machine = describeMachine();
  console.log(formatMachine(machine));
  console.log(`options: ${describeOptions(options)}\n`);

  const etcdFound = options.etcd ? findEtcd() : undefined;
  if (options.etcd && !etcdFound)
    console.error('--etcd: no etcd on PATH (Debian: apt-get install etcd-server); measuring kv-store alone');
  else if (etcdFound) console.log(`etcd ${etcdFound.version} (three members)\n`);

  const fleet = await NodeFleet.create();
  let etcd: EtcdMembers | undefined;
  const interrupt = new AbortController();
  stopOnSignals(fleet, () => etcd, interrupt);
  try {
    console.error(`starting a single node and a three-node cluster (data under ${fleet.dataRoot}) ...`);
    const started = performance.now();
    const kvTargets = await Promise.all([fleet.startTarget(BASELINE, 1), fleet.startTarget(CLUSTER, 3)]);
    console.error(`all four nodes serving and voting after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const targets: BenchTarget[] = kvTargets.map(({ name, nodes }) => ({ name, api: 'kv-store', endpoints: nodes }));
    if (etcdFound) {
      const etcdRoot = path.join(fleet.dataRoot, 'etcd');
      await mkdir(etcdRoot);
      etcd = await EtcdMembers.start(etcdRoot);
      targets.push({ name: ETCD, api: 'etcd', endpoints: etcd.members });
      console.error(`etcd's three members healthy after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const hot = options.patterns.includes('hot');
    const preloadRates = hot ? await preloadAll(kvTargets, options) : [];
    if (hot && etcd) {
      await etcd.preload(keyName, (index) => valueOfSize(options.valueBytes, index), options.keyCount);
      console.error(`preloaded ${options.keyCount} keys into etcd`);
    }
    // Only for hot keys: the cold rows measure processes that have run, on keys they have not seen.
    if (hot) await settleAll(targets, options, interrupt.signal);

    const startedLogLines = new Map(fleet.allNodes().map((node) => [node, node.outputLineCount()]));
    const measurements: Measurement[] = [];
    const unexpectedExits = (): string[] => [
      ...fleet
        .unexpectedExits()
        .map((node) => `${node.name} (${NodeFleet.exitStatus(node)})\n${node.outputLines().join('\n')}`),
      ...(etcd?.unexpectedExits() ?? []),
    ];
    try {
      await runMatrix(targets, options, unexpectedExits, interrupt.signal, measurements);
    } catch (error) {
      if (options.jsonFile && measurements.length > 0) {
        const partial = {
          machine,
          options,
          preloadRates,
          measurements,
          summary: summarise(measurements, BASELINE),
          serviceLog: {},
          incomplete: String(error),
        };
        await writeJson(options.jsonFile, partial);
        console.error(`the ${measurements.length} measurements made before the failure are in ${options.jsonFile}`);
      }
      throw error;
    }
    const rows = summarise(measurements, BASELINE);

    console.log(
      `\nthroughput and latency (medians over ${options.rounds} round(s) of ${options.durationSeconds} s; ` +
        'latency percentiles over all responses of a run, merged across the nodes it loaded):',
    );
    console.log(throughputTable(rows));
    console.log(
      '\nwhere the CPU went (medians): busy = cores of the whole machine in use; not ours = of those, cores used by ' +
        'processes this benchmark did not start (other tenants); irq = cores in interrupt context (loopback TCP, mostly ours); ' +
        'steal = cores the hypervisor took; then CPU µs per completed op ' +
        "of the target's node processes, of their PostgreSQL servers, and of the load generator:",
    );
    console.log(cpuTable(rows));
    console.log(
      `\npreload (batch endpoint, 1000 keys per request): ${preloadRates.map(({ target, keysPerSecond }) => `${target} ${keysPerSecond.toFixed(0)} keys/s`).join(', ')}`,
    );

    const serviceLog = reportServiceLog(fleet.allNodes(), startedLogLines);
    const failures = failureReport(rows);
    if (failures) {
      console.error(`\n${failures}`);
      process.exitCode = 1;
    }
    if (options.jsonFile) {
      await writeJson(options.jsonFile, { machine, options, preloadRates, measurements, summary: rows, serviceLog });
      console.error(`raw results written to ${options.jsonFile}`);
    }
  } finally {
    console.error('stopping the nodes ...');
    await etcd?.stop();
    await fleet.stopAll();
  }
}

async function preloadAll(
  targets: ReadonlyArray<{ name: string; nodes: readonly KvNode[] }>,
  options: BenchOptions,
): Promise<Array<{ target: string; keysPerSecond: number }>> {
  const rates = [];
  for (const target of targets) {
    // Through the first node; on the cluster every write is replicated to a quorum anyway.
    const keysPerSecond = await preloadKeys(target.nodes[0]!.url, options.keyCount, options.valueBytes);
    await checkPreloaded(
      target.nodes.map((node) => node.url),
      options.keyCount,
      options.valueBytes,
    );
    console.error(`preloaded ${options.keyCount} keys into ${target.name} at ${keysPerSecond.toFixed(0)} keys/s`);
    rates.push({ target: target.name, keysPerSecond });
  }
  return rates;
}

/** Unmeasured load on each target in turn, so that no measured round pays for compiling the service's hot paths. */
async function settleAll(targets: readonly BenchTarget[], options: BenchOptions, signal: AbortSignal): Promise<void> {
  if (options.settleSeconds <= 0) return;
  const shape = {
    workload: 'mixed',
    pattern: 'hot',
    keySpace: options.keyCount,
    valueBytes: options.valueBytes,
  } as const;
  for (const target of targets) {
    const plan = workloadPlan(target, shape);
    const result = await runLoad({
      urls: target.endpoints.map((node) => node.url),
      connections: SETTLE_CONCURRENCY,
      requests: plan.requests,
      accepts: plan.accepts,
      warmupSeconds: 0,
      durationSeconds: options.settleSeconds,
      signal,
    });
    console.error(
      `settled ${target.name} with ${options.settleSeconds} s of mixed load (${result.opsPerSecond.toFixed(0)} ops/s, not counted)`,
    );
  }
}

/**
 * Nodes run with LOG_LEVEL=warn, so anything they print during the measurements
 * is a warning or an error: worth seeing next to the numbers.
 */
function reportServiceLog(
  nodes: readonly KvNode[],
  linesBefore: ReadonlyMap<KvNode, number>,
): Record<string, string[]> {
  const log: Record<string, string[]> = {};
  for (const node of nodes) {
    const printed = node.outputLineCount() - (linesBefore.get(node) ?? 0);
    if (printed === 0) continue;
    const lines = node.outputLines().slice(-Math.min(printed, node.outputLines().length));
    log[node.name] = lines;
    console.error(
      `\n!!! ${node.name} printed ${printed} warning/error line(s) during the measurements; the last ones:`,
    );
    console.error(
      lines
        .slice(-10)
        .map((line) => `    ${line}`)
        .join('\n'),
    );
  }
  return log;
}

/**
 * First Ctrl-C (or SIGTERM): stop the load and the nodes cleanly, then exit.
 * A second one kills everything at once.
 */
function stopOnSignals(fleet: NodeFleet, etcd: () => EtcdMembers | undefined, interrupt: AbortController): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      fleet.killAllNow();
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the load and the nodes (again to kill them at once) ...`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
    void Promise.resolve(etcd()?.stop())
      .then(() => fleet.stopAll())
      .catch((error: unknown) => console.error('bench: stopping the nodes failed:', error))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function describeOptions(options: BenchOptions): string {
  return [
    `duration ${options.durationSeconds} s`,
    `settle ${options.settleSeconds} s per target`,
    `warm-up ${options.warmupSeconds} s`,
    `rounds ${options.rounds}`,
    `concurrency ${options.concurrencies.join(',')}`,
    `workloads ${options.workloads.join(',')}`,
    `keys ${options.patterns.map((p) => (p === 'hot' ? `hot (${options.keyCount}, preloaded)` : `cold (uniform over ${options.coldKeyCount}, no warm-up)`)).join(' then ')}`,
    `${options.valueBytes}-byte values`,
    options.etcd ? 'with etcd' : undefined,
    options.clusterEntry === 'one' ? 'cluster load through its first node only' : 'cluster load spread over its nodes',
    options.quick ? 'QUICK (smoke run, not for comparison)' : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}

interface RawResults {
  machine: MachineDescription;
  options: BenchOptions;
  preloadRates: Array<{ target: string; keysPerSecond: number }>;
  measurements: Measurement[];
  summary: SummaryRow[];
  serviceLog: Record<string, string[]>;
  /** Set when the run failed part-way: why. */
  incomplete?: string;
}

async function writeJson(file: string, results: RawResults): Promise<void> {
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}

void main().catch((error: unknown) => {
  console.error('bench failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
