import { Measurement } from './matrix';
import { Cell, formatNumber, formatTable } from './report';
import { groupBy, median } from './stats';
import { KeyPattern, WorkloadName } from './workloads';

export interface SummaryRow {
  readonly target: string;
  readonly pattern: KeyPattern;
  readonly workload: WorkloadName;
  readonly concurrency: number;
  readonly rounds: number;
  /** Medians over rounds. */
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly minOpsPerSecond: number;
  readonly maxOpsPerSecond: number;
  /** Summed over rounds: connection errors, timeouts and answers the workload does not accept. */
  readonly failures: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly failureSamples: readonly string[];
  /** This target's median throughput over the baseline's (single node) for the same row. */
  readonly ratioToBaseline?: number;
  /** The cluster's median throughput over etcd's for the same row, when etcd ran. */
  readonly ratioToEtcd?: number;
  /** Medians over rounds, CPU microseconds per completed op. */
  readonly kvNodeCpuUsPerOp?: number;
  readonly postgresCpuUsPerOp?: number;
  readonly loadGeneratorCpuUsPerOp?: number;
  readonly machineBusyCores?: number;
  readonly stealCores?: number;
  readonly outsideCores?: number;
  readonly interruptCores?: number;
}

export const CLUSTER = 'cluster';
export const ETCD = 'etcd';

/**
 * Medians over rounds per key pattern x workload x concurrency x target;
 * `baseline` is the target every ratio to the baseline is taken against, and
 * the cluster's rows also get their ratio to etcd's.
 */
export function summarise(measurements: readonly Measurement[], baseline: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const groups = groupBy(measurements, (m) => `${m.pattern}|${m.workload}|${m.concurrency}|${m.target}`);
  for (const group of groups.values()) {
    const first = group[0]!;
    const ops = group.map((m) => m.opsPerSecond);
    const perOp = (seconds: (m: Measurement) => number | undefined): number | undefined => {
      const values = group
        .map((m) => {
          const used = seconds(m);
          const done = m.opsPerSecond * m.windowSeconds;
          return used === undefined || done === 0 ? undefined : (used / done) * 1e6;
        })
        .filter((value): value is number => value !== undefined);
      return values.length > 0 ? median(values) : undefined;
    };
    const statusCodes: Record<string, number> = {};
    for (const m of group)
      for (const [code, count] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
    const medianOf = (value: (m: Measurement) => number | undefined): number | undefined => {
      const values = group.map(value).filter((v): v is number => v !== undefined);
      return values.length > 0 ? median(values) : undefined;
    };
    rows.push({
      target: first.target,
      pattern: first.pattern,
      workload: first.workload,
      concurrency: first.concurrency,
      rounds: group.length,
      opsPerSecond: median(ops),
      p50Ms: median(group.map((m) => m.p50Ms)),
      p99Ms: median(group.map((m) => m.p99Ms)),
      minOpsPerSecond: Math.min(...ops),
      maxOpsPerSecond: Math.max(...ops),
      failures: group.reduce((sum, m) => sum + m.errors + m.unexpected, 0),
      statusCodes,
      failureSamples: group.flatMap((m) => m.failureSamples).slice(0, 5),
      kvNodeCpuUsPerOp: perOp((m) => m.cpu?.kvNodeSeconds),
      postgresCpuUsPerOp: perOp((m) => m.cpu?.postgresSeconds),
      loadGeneratorCpuUsPerOp: perOp((m) => m.cpu?.loadGeneratorSeconds),
      machineBusyCores: medianOf((m) => m.cpu?.machineBusyCores),
      stealCores: medianOf((m) => m.cpu?.stealCores),
      outsideCores: medianOf((m) => m.cpu?.outsideCores),
      interruptCores: medianOf((m) => m.cpu?.interruptCores),
    });
  }
  const same = (target: string, row: SummaryRow): SummaryRow | undefined =>
    rows.find(
      (r) =>
        r.target === target &&
        r.pattern === row.pattern &&
        r.workload === row.workload &&
        r.concurrency === row.concurrency,
    );
  return rows.map((row) => {
    const base = row.target === baseline || row.target === ETCD ? undefined : same(baseline, row);
    const etcd = row.target === CLUSTER ? same(ETCD, row) : undefined;
    return {
      ...row,
      ratioToBaseline: base ? row.opsPerSecond / base.opsPerSecond : undefined,
      ratioToEtcd: etcd ? row.opsPerSecond / etcd.opsPerSecond : undefined,
    };
  });
}

export function throughputTable(rows: readonly SummaryRow[]): string {
  return formatTable(
    [
      'keys',
      'workload',
      'conc',
      'target',
      'ops/s (median)',
      'ops/s min..max',
      'p50 ms',
      'p99 ms',
      'errors',
      'cluster/single',
      'cluster/etcd',
    ],
    rows.map((row): Cell[] => [
      row.pattern,
      row.workload,
      row.concurrency,
      row.target,
      formatNumber(row.opsPerSecond, 0),
      `${formatNumber(row.minOpsPerSecond, 0)}..${formatNumber(row.maxOpsPerSecond, 0)}`,
      formatNumber(row.p50Ms, 2),
      formatNumber(row.p99Ms, 2),
      row.failures,
      row.ratioToBaseline === undefined ? undefined : `${row.ratioToBaseline.toFixed(2)}x`,
      row.ratioToEtcd === undefined ? undefined : `${row.ratioToEtcd.toFixed(2)}x`,
    ]),
  );
}

export function cpuTable(rows: readonly SummaryRow[]): string {
  return formatTable(
    [
      'keys',
      'workload',
      'conc',
      'target',
      'busy cores',
      'not ours',
      'irq',
      'steal',
      'kv nodes µs/op',
      'postgres µs/op',
      'load gen µs/op',
    ],
    rows.map((row): Cell[] => [
      row.pattern,
      row.workload,
      row.concurrency,
      row.target,
      formatNumber(row.machineBusyCores, 2),
      formatNumber(row.outsideCores, 2),
      formatNumber(row.interruptCores, 2),
      formatNumber(row.stealCores, 2),
      formatNumber(row.kvNodeCpuUsPerOp, 0),
      formatNumber(row.postgresCpuUsPerOp, 0),
      formatNumber(row.loadGeneratorCpuUsPerOp, 0),
    ]),
  );
}

/** Rows with failures, with their status codes: printed loudly, because a fast error is not a result. */
export function failureReport(rows: readonly SummaryRow[]): string | undefined {
  const failing = rows.filter((row) => row.failures > 0);
  if (failing.length === 0) return undefined;
  return [
    '!!! ERRORS: some requests failed (non-2xx, connection errors or timeouts); those rows are not clean results:',
    ...failing.map(
      (row) =>
        `!!!   ${row.target} ${row.pattern} ${row.workload} c=${row.concurrency}: ${row.failures} failures; status codes ${JSON.stringify(row.statusCodes)}` +
        row.failureSamples.map((sample) => `\n!!!     ${sample}`).join(''),
    ),
  ].join('\n');
}
