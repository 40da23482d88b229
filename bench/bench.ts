/**
 * npm run bench [-- options]: throughput and latency of a single kv-store node
 * against a three-node cluster, both started here (each node with its own
 * embedded PostgreSQL) and measured in alternation, so that the ratio between
 * them survives a noisy machine. --help lists the options.
 */
import { writeFile } from 'node:fs/promises';
import { runLoad } from './load';
import { Measurement, runMatrix } from './matrix';
import { KvNode, NodeFleet, Target } from './node-processes';
import { BenchOptions, parseBenchOptions } from './options';
import { checkPreloaded, preloadKeys } from './preload';
import { describeMachine, formatMachine, MachineDescription } from './report';
import { cpuTable, failureReport, summarise, SummaryRow, throughputTable } from './summary';
import { requestsFor } from './workloads';

const BASELINE = 'single';
const SETTLE_CONCURRENCY = 64;

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const machine = describeMachine();
  console.log(formatMachine(machine));
  console.log(`options: ${describeOptions(options)}\n`);

  const fleet = await NodeFleet.create();
  const interrupt = new AbortController();
  stopOnSignals(fleet, interrupt);
  try {
    console.error(`starting a single node and a three-node cluster (data under ${fleet.dataRoot}) ...`);
    const started = performance.now();
    const targets = await Promise.all([fleet.startTarget(BASELINE, 1), fleet.startTarget('cluster', 3)]);
    console.error(`all four nodes serving and voting after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const preloadRates = await preloadAll(targets, options);
    await settleAll(targets, options, interrupt.signal);

    const startedLogLines = new Map(fleet.allNodes().map((node) => [node, node.outputLineCount()]));
    const measurements: Measurement[] = [];
    try {
      await runMatrix(targets, options, fleet, interrupt.signal, measurements);
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
    await fleet.stopAll();
  }
}

async function preloadAll(
  targets: readonly Target[],
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
async function settleAll(targets: readonly Target[], options: BenchOptions, signal: AbortSignal): Promise<void> {
  if (options.settleSeconds <= 0) return;
  const requests = requestsFor('mixed', options.keyCount, options.valueBytes);
  for (const target of targets) {
    const result = await runLoad({
      urls: target.nodes.map((node) => node.url),
      connections: SETTLE_CONCURRENCY,
      requests,
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
function stopOnSignals(fleet: NodeFleet, interrupt: AbortController): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      fleet.killAllNow();
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the load and the nodes (again to kill them at once) ...`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
    void fleet
      .stopAll()
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
    `${options.keyCount} keys of ${options.valueBytes}-byte values`,
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
