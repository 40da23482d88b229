import { CpuSnapshot, CpuUsage, cpuUsageBetween, takeCpuSnapshot } from './cpu-accounting';
import { etcdWorkload } from './etcd-workloads';
import { LoadResult, runLoad } from './load';
import { BenchOptions } from './options';
import { KeyPattern, kvStoreWorkload, WorkloadName, WorkloadPlan, WorkloadShape } from './workloads';

/** A process that serves a target's clients. */
export interface Endpoint {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

/** What is measured: kv-store (a single node, a cluster) or etcd's members, each behind its own API. */
export interface BenchTarget {
  readonly name: string;
  readonly api: 'kv-store' | 'etcd';
  readonly endpoints: readonly Endpoint[];
}

export function workloadPlan(target: BenchTarget, shape: WorkloadShape): WorkloadPlan {
  return target.api === 'etcd' ? etcdWorkload(shape) : kvStoreWorkload(shape);
}

export interface Measurement extends LoadResult {
  readonly target: string;
  readonly pattern: KeyPattern;
  readonly workload: WorkloadName;
  readonly concurrency: number;
  readonly round: number;
  /** Nodes in the order connections were dealt to them (connection i goes to node i mod n). */
  readonly nodes: readonly string[];
  readonly cpu?: CpuUsage;
}

/**
 * Every key pattern x workload x concurrency, each measured `rounds` times on
 * every target. Targets alternate within a row and rotate their order every
 * round (A B C, B C A, ...), so slow phases of a noisy machine fall on all;
 * the report takes medians. Cold rows have no warm-up: it would warm keys.
 */
export async function runMatrix(
  targets: readonly BenchTarget[],
  options: BenchOptions,
  /** Descriptions of processes that died although nobody stopped them. */
  unexpectedExits: () => string[],
  signal: AbortSignal,
  /** Filled as measurements complete, so a failed run still leaves what it measured. */
  measurements: Measurement[] = [],
): Promise<Measurement[]> {
  const total =
    options.patterns.length * options.workloads.length * options.concurrencies.length * options.rounds * targets.length;
  for (const pattern of options.patterns)
    for (const workload of options.workloads) {
      const shape: WorkloadShape = {
        workload,
        pattern,
        keySpace: pattern === 'hot' ? options.keyCount : options.coldKeyCount,
        valueBytes: options.valueBytes,
      };
      for (const concurrency of options.concurrencies) {
        for (let round = 1; round <= options.rounds; round++) {
          for (const target of rotate(targets, round - 1)) {
            // Rotate the node list per round: at concurrency 1 the one
            // connection then visits a different cluster node each round.
            const nodes =
              options.clusterEntry === 'one' ? target.endpoints.slice(0, 1) : rotate(target.endpoints, round - 1);
            const plan = workloadPlan(target, shape);
            let before: CpuSnapshot | undefined;
            let cpu: CpuUsage | undefined;
            const result = await runLoad({
              urls: nodes.map((node) => node.url),
              connections: concurrency,
              requests: plan.requests,
              accepts: plan.accepts,
              sequence: plan.sequence,
              warmupSeconds: pattern === 'hot' ? options.warmupSeconds : 0,
              durationSeconds: options.durationSeconds,
              signal,
              onWindowStart: () => (before = takeCpuSnapshot()),
              onWindowEnd: () => {
                if (before)
                  cpu = cpuUsageBetween(
                    before,
                    takeCpuSnapshot(),
                    target.endpoints.map((node) => node.pid),
                  );
              },
            });
            const measurement: Measurement = {
              target: target.name,
              pattern,
              workload,
              concurrency,
              round,
              nodes: nodes.map((node) => node.name),
              ...result,
              cpu,
            };
            measurements.push(measurement);
            console.error(progressLine(measurements.length, total, measurement));

            const dead = unexpectedExits();
            if (dead.length > 0) throw new Error(`exited during the benchmark:\n${dead.join('\n')}`);
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
  const failures = m.errors + m.unexpected;
  return (
    `[${done}/${total}] ${m.pattern} ${m.workload} c=${m.concurrency} ${m.target} round ${m.round}: ` +
    `${m.opsPerSecond.toFixed(0)} ops/s, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms` +
    (failures > 0
      ? `, FAILURES ${failures} ${JSON.stringify(m.statusCodes)} (errors ${m.errors}, timeouts ${m.timeouts})` +
        m.failureSamples.map((sample) => `\n    ${sample}`).join('')
      : '')
  );
}
