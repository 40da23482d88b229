import { CpuSnapshot, CpuUsage, cpuUsageBetween, takeCpuSnapshot } from './cpu-accounting';
import { LoadResult, runLoad } from './load';
import { NodeFleet, Target } from './node-processes';
import { BenchOptions } from './options';
import { requestsFor, WorkloadName } from './workloads';

export interface Measurement extends LoadResult {
  readonly target: string;
  readonly workload: WorkloadName;
  readonly concurrency: number;
  readonly round: number;
  /** Nodes in the order connections were dealt to them (connection i goes to node i mod n). */
  readonly nodes: readonly string[];
  readonly cpu?: CpuUsage;
}

/**
 * Every workload x concurrency, each measured `rounds` times on every target.
 * Targets alternate within a row and swap order every round (A B, B A, ...),
 * so slow phases of a noisy machine fall on both; the report takes medians.
 */
export async function runMatrix(
  targets: readonly Target[],
  options: BenchOptions,
  fleet: NodeFleet,
  signal: AbortSignal,
  /** Filled as measurements complete, so a failed run still leaves what it measured. */
  measurements: Measurement[] = [],
): Promise<Measurement[]> {
  const total = options.workloads.length * options.concurrencies.length * options.rounds * targets.length;
  for (const workload of options.workloads) {
    const requests = requestsFor(workload, options.keyCount, options.valueBytes);
    for (const concurrency of options.concurrencies) {
      for (let round = 1; round <= options.rounds; round++) {
        const order = round % 2 === 1 ? targets : [...targets].reverse();
        for (const target of order) {
          // Rotate the node list per round: at concurrency 1 the one
          // connection then visits a different cluster node each round.
          const nodes = options.clusterEntry === 'one' ? target.nodes.slice(0, 1) : rotate(target.nodes, round - 1);
          let before: CpuSnapshot | undefined;
          let cpu: CpuUsage | undefined;
          const result = await runLoad({
            urls: nodes.map((node) => node.url),
            connections: concurrency,
            requests,
            warmupSeconds: options.warmupSeconds,
            durationSeconds: options.durationSeconds,
            signal,
            onWindowStart: () => (before = takeCpuSnapshot()),
            onWindowEnd: () => {
              if (before)
                cpu = cpuUsageBetween(
                  before,
                  takeCpuSnapshot(),
                  target.nodes.map((node) => node.pid),
                );
            },
          });
          const measurement: Measurement = {
            target: target.name,
            workload,
            concurrency,
            round,
            nodes: nodes.map((node) => node.name),
            ...result,
            cpu,
          };
          measurements.push(measurement);
          console.error(progressLine(measurements.length, total, measurement));

          const dead = fleet.unexpectedExits();
          if (dead.length > 0) {
            throw new Error(
              `node(s) exited during the benchmark: ${dead.map((node) => `${node.name} (${NodeFleet.exitStatus(node)})`).join(', ')}\n` +
                dead.map((node) => `--- ${node.name}\n${node.outputLines().join('\n')}`).join('\n'),
            );
          }
        }
      }
    }
  }
  return measurements;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function progressLine(done: number, total: number, m: Measurement): string {
  const failures = m.errors + m.non2xx;
  return (
    `[${done}/${total}] ${m.workload} c=${m.concurrency} ${m.target} round ${m.round}: ` +
    `${m.opsPerSecond.toFixed(0)} ops/s, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms` +
    (failures > 0
      ? `, FAILURES ${failures} ${JSON.stringify(m.statusCodes)} (errors ${m.errors}, timeouts ${m.timeouts})` +
        m.failureSamples.map((sample) => `\n    ${sample}`).join('')
      : '')
  );
}
