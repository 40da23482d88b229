/**
 * One chaos run, start to verdict:
 *
 *  1. start N nodes on fresh databases, every node-to-node link through a proxy;
 *  2. run the clients and the nemesis together for `durationS`;
 *  3. stop the clients, heal everything, restart dead nodes, wait until all serve;
 *  4. read every key from every node (linearizable reads, recorded in the
 *     history like any other read): all nodes must agree;
 *  5. check the history with the linearizability checker;
 *  6. count 5xx (and timeouts) outside the fault windows plus a grace period;
 *  7. write report.txt / report.json next to history.jsonl and faults.jsonl.
 *
 * The negative control reads with ?consistency=local during partitions: the
 * checker must find the history NOT linearizable, else the harness is blind.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkHistory, type CheckReport } from '../checker';
import { HistoryRecorder, pairOperations, serializeEvent } from '../history';
import { Random } from './random';
import { formatReport } from '../report-format';
import { ChaosCluster } from './cluster';
import { FaultKind, FaultWindow, Nemesis, planSchedule, PlannedFault } from './nemesis';
import { execute, LONGEST_TTL_MS, RequestRecord, Workload } from './workload';
import { HoppingWatcher } from './watch-client';
import { checkWatchStreams, WriteRecord } from '../watch-check';

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ChaosOptions {
  readonly durationS: number;
  readonly seed: number;
  readonly nodes: number;
  readonly faults: readonly FaultKind[];
  readonly clients: number;
  readonly keys: number;
  /** Seconds after which the clients move on to fresh keys (keeps long runs checkable); default: never. */
  readonly keyLifetimeS?: number;
  readonly requestTimeoutMs: number;
  readonly negativeControl: boolean;
  /**
   * Record every 5xx as indeterminate, even an unconditional write's 503 with
   * mayHaveTakenEffect: false (which is otherwise recorded as not having
   * happened, holding the store to that claim). Default false.
   */
  readonly all5xxIndeterminate?: boolean;
  readonly outDir: string;
  /** The node entry point; default $CHAOS_NODE_MAIN, else <repo>/dist/main.js. */
  readonly mainPath?: string;
  /** Client-side bound per request; default requestTimeoutMs + max(500, requestTimeoutMs / 2). */
  readonly clientTimeoutMs?: number;
  /** After each heal, errors are still blamed on the fault for this long; default 2 × requestTimeoutMs. */
  readonly graceMs?: number;
  /** The checker's budget per key; default 300 s / number of keys, within [5 s, 60 s]. */
  readonly checkBudgetMsPerKey?: number;
  readonly logLevel?: string;
  readonly keepLogs?: boolean;
  readonly keepDatabases?: boolean;
  /** Echo harness messages to stdout. */
  readonly verbose?: boolean;
  readonly minFaultMs?: number;
  readonly maxFaultMs?: number;
  readonly minQuietMs?: number;
  readonly maxQuietMs?: number;
}

export interface OutsideError {
  readonly id: number;
  readonly client: string;
  readonly node: string;
  readonly key: string;
  readonly f: string;
  readonly what: string;
  /** Relative to the first event of the history, ms. */
  readonly at: number;
  readonly msAfterLastHeal?: number;
  readonly final?: boolean;
}

export interface ChaosResult {
  readonly passed: boolean;
  readonly reasons: readonly string[];
  readonly outDir: string;
  readonly verdict: CheckReport['verdict'] | 'not-checked';
  readonly operations: {
    readonly invoked: number;
    readonly checked: number;
    /** The store's own expiries the checker placed in its witness orders. */
    readonly expiries: number;
    readonly ok: number;
    readonly fail: number;
    readonly info: number;
  };
  readonly faults: {
    readonly planned: number;
    readonly injected: number;
    readonly byKind: Record<string, number>;
    readonly errors: number;
  };
  readonly agreement: { readonly agree: boolean; readonly disagreements: readonly string[] };
  readonly outside: {
    readonly fiveXx: number;
    readonly timeouts: number;
    readonly other: number;
    readonly examples: readonly OutsideError[];
  };
  readonly checkMs: number;
  readonly anomalies: readonly string[];
}

const START_SERVING_TIMEOUT_MS = 90_000;
const FINAL_SERVING_TIMEOUT_MS = 90_000;
const FINAL_READ_ATTEMPTS = 5;
/** After the final reads, before the watchers stop: a frontier waits for every node's next closed stamp. */
const WATCH_SETTLE_MS = 3000;
/** How late an expiry may come after healing: 1 s while a majority is up, with room for the restarted nodes. */
const EXPIRY_SETTLE_MS = 3000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  process.env.TEST_DATABASE_URL ??= DEFAULT_SERVER_URL;
  const outDir = path.resolve(options.outDir);
  const logDir = path.join(outDir, 'nodes');
  mkdirSync(logDir, { recursive: true });
  const mainPath = path.resolve(
    options.mainPath ?? process.env.CHAOS_NODE_MAIN ?? path.join(__dirname, '../../../dist/main.js'),
  );
  if (!existsSync(mainPath)) throw new Error(`${mainPath} does not exist: run \`npm run build\` first`);

  const clientTimeoutMs =
    options.clientTimeoutMs ?? options.requestTimeoutMs + Math.max(500, options.requestTimeoutMs / 2);
  const graceMs = options.graceMs ?? 2 * options.requestTimeoutMs;
  const clock = () => performance.timeOrigin + performance.now();
  const startedAt = Date.now();

  const harnessLog = createWriteStream(path.join(outDir, 'harness.log'));
  const log = (message: string) => {
    const line = `[+${((Date.now() - startedAt) / 1000).toFixed(3)}s] ${message}`;
    harnessLog.write(line + '\n');
    if (options.verbose) console.log(line);
  };
  const historyFile = createWriteStream(path.join(outDir, 'history.jsonl'));
  const faultsFile = createWriteStream(path.join(outDir, 'faults.jsonl'));
  const requestsFile = createWriteStream(path.join(outDir, 'requests.jsonl'));
  const recorder = new HistoryRecorder({ clock, onEvent: (event) => historyFile.write(serializeEvent(event) + '\n') });
  const requests: RequestRecord[] = [];
  const onRequest = (record: RequestRecord) => {
    requests.push(record);
    requestsFile.write(JSON.stringify(record) + '\n');
  };

  const reasons: string[] = [];
  const anomalies: string[] = [];
  const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
  const plan = planSchedule({
    seed: options.seed,
    nodes: ids,
    kinds: options.faults,
    durationMs: Math.max(0, options.durationS * 1000 - 1000),
    minFaultMs: options.minFaultMs,
    maxFaultMs: options.maxFaultMs,
    minQuietMs: options.minQuietMs,
    maxQuietMs: options.maxQuietMs,
  });
  log(`run: ${JSON.stringify({ ...options, mainPath, clientTimeoutMs, graceMs })}`);
  log(`plan: ${plan.length} fault windows`);
  await writeFile(path.join(outDir, 'plan.json'), JSON.stringify(plan, undefined, 2) + '\n');

  let cluster: ChaosCluster | undefined;
  let watchers: HoppingWatcher[] = [];
  let windows: FaultWindow[] = [];
  let workloadStart = clock();
  let finalHeal: { start: number; end: number } | undefined;
  const agreement = { agree: false, disagreements: [] as string[] };
  let report: CheckReport | undefined;
  let checkMs = 0;
  try {
    cluster = await ChaosCluster.start({
      size: options.nodes,
      requestTimeoutMs: options.requestTimeoutMs,
      logDir,
      mainPath,
      logLevel: options.logLevel,
      log,
    });
    log(
      `cluster: ${cluster.nodes.map((node) => `${node.id}=:${node.port}`).join(' ')}; databases ${cluster.databaseNames().join(' ')}`,
    );
    const serving = await cluster.waitUntilServing(ids, START_SERVING_TIMEOUT_MS);
    if (!serving.ok) throw new Error(`nodes ${serving.failing.join(',')} never served a quorum read after start`);
    const voting = await cluster.waitUntilVoting(ids, START_SERVING_TIMEOUT_MS);
    if (!voting.ok) throw new Error(`nodes ${voting.failing.join(',')} never started voting after start`);
    log(`all nodes serve after ${serving.waitedMs} ms and vote after ${voting.waitedMs} ms more`);

    const nodePorts = new Map(cluster.nodes.map((node) => [node.id, node.port] as const));
    const workload = new Workload({
      seed: options.seed,
      clients: options.clients,
      keys: options.keys,
      keyLifetimeMs: options.keyLifetimeS === undefined ? Infinity : options.keyLifetimeS * 1000,
      nodes: nodePorts,
      recorder,
      clock,
      requestTimeoutMs: options.requestTimeoutMs,
      clientTimeoutMs,
      localReads: options.negativeControl,
      trustNotTakenEffect: !options.all5xxIndeterminate,
      onRequest,
    });
    const nemesis = new Nemesis({
      cluster,
      plan,
      clock,
      log,
      onWindow: (window) => faultsFile.write(JSON.stringify(window) + '\n'),
    });
    // Two clients watch every key throughout, hopping from node to node (watch-client.ts).
    watchers = ['w1', 'w2'].map(
      (name) => new HoppingWatcher(name, nodePorts, Random.derive(options.seed, `watcher:${name}`)),
    );
    if (!options.negativeControl) watchers.forEach((watcher) => watcher.start());
    workloadStart = clock();
    const stopAt = Date.now() + options.durationS * 1000;
    // The last window must be healed a little before the clients stop, so the end of the run is fault-free.
    const nemesisDone = nemesis.run(stopAt - 1000);
    const { operations } = await workload.run(stopAt);
    const workloadEnd = Date.now();
    log(`workload done: ${operations} operations`);
    for (const problem of workload.listingProblems) reasons.push(`listing: ${problem}`);
    nemesis.stop();
    await nemesisDone;
    windows = nemesis.windows;

    // Heal everything, restart the dead, wait until all serve.
    const healStart = clock();
    await cluster.healAll();
    const served = await cluster.waitUntilServing(ids, FINAL_SERVING_TIMEOUT_MS);
    const votes = await cluster.waitUntilVoting(ids, FINAL_SERVING_TIMEOUT_MS);
    finalHeal = { start: healStart, end: clock() };
    if (!served.ok)
      reasons.push(
        `after healing, nodes ${served.failing.join(',')} did not serve within ${FINAL_SERVING_TIMEOUT_MS} ms`,
      );
    if (!votes.ok)
      reasons.push(
        `after healing, nodes ${votes.failing.join(',')} did not vote within ${FINAL_SERVING_TIMEOUT_MS} ms`,
      );
    log(`healed; all serve after ${served.waitedMs} ms`);
    // Every key with a TTL has expired, and been deleted, before the final reads:
    // an expiry between two nodes' reads of a key would look like a disagreement.
    const expiriesDone = workloadEnd + LONGEST_TTL_MS + EXPIRY_SETTLE_MS;
    if (Date.now() < expiriesDone) await new Promise((resolve) => setTimeout(resolve, expiriesDone - Date.now()));

    // Final reads: every key from every node, recorded as ordinary reads.
    const finals = new Map<string, Map<string, string>>();
    const context = {
      nodes: nodePorts,
      recorder,
      clock,
      clientTimeoutMs,
      localReads: false,
      trustNotTakenEffect: false,
      onRequest,
    };
    const keys = [...workload.keysUsed];
    for (const key of keys) {
      const byNode = new Map<string, string>();
      for (const id of ids) {
        for (let attempt = 1; attempt <= FINAL_READ_ATTEMPTS; attempt++) {
          const result = await execute(context, `final`, id, key, { f: 'read' }, { final: true, localRead: false });
          if (result.outcome === 'ok' && result.read) {
            byNode.set(
              id,
              JSON.stringify(
                result.read.found ? { value: result.read.value, version: result.read.version } : { found: false },
              ),
            );
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
        if (!byNode.has(id)) byNode.set(id, '(no answer)');
      }
      finals.set(key, byNode);
      const distinct = new Set(byNode.values());
      if (distinct.size !== 1 || distinct.has('(no answer)')) {
        agreement.disagreements.push(`${key}: ${[...byNode].map(([id, value]) => `${id}=${value}`).join(' ')}`);
      }
    }
    agreement.agree = agreement.disagreements.length === 0;
    // Let the feed's frontiers pass the last writes (they wait for every node's closed stamp), then stop watching.
    await new Promise((resolve) => setTimeout(resolve, WATCH_SETTLE_MS));
    await Promise.all(watchers.map((watcher) => watcher.stop()));
    for (const exit of cluster.unexpectedExits) reasons.push(`node crash: ${exit}`);
    log(`final reads: ${[...finals].map(([key, byNode]) => `${key}=${[...byNode.values()][0]}`).join(' ')}`);
    if (!agreement.agree) reasons.push(`nodes disagree after healing: ${agreement.disagreements.join('; ')}`);
  } catch (error) {
    reasons.push(`harness error: ${(error as Error).stack ?? String(error)}`);
    log(`harness error: ${(error as Error).stack}`);
  } finally {
    await Promise.all([closeStream(historyFile), closeStream(faultsFile), closeStream(requestsFile)]);
    // The check needs only the history, and can take a while: the nodes and databases go first.
    if (cluster) {
      await cluster.stop({ keepDatabases: options.keepDatabases ?? false }).catch((error: unknown) => {
        reasons.push(`could not stop the cluster: ${(error as Error).message}`);
      });
      log('cluster stopped');
    }
  }

  // Check the watch streams against what the clients were told.
  if (watchers.length > 0 && !options.negativeControl) {
    const records = watchers.map((watcher) => watcher.record);
    const writes = pairOperations(recorder.events()).flatMap((operation): WriteRecord[] => {
      const { op } = operation;
      if (op.f !== 'write' && op.f !== 'cas' && op.f !== 'create') return [];
      const result = operation.result as { version?: number } | undefined;
      return [
        {
          key: operation.key,
          value: op.value,
          status: operation.status,
          ...(typeof result?.version === 'number' && { version: result.version }),
          invokeTime: operation.invokeTime,
          completeTime: operation.completeTime ?? Infinity,
        },
      ];
    });
    await writeFile(path.join(outDir, 'watch.json'), JSON.stringify(records) + '\n');
    const watchProblems = checkWatchStreams(writes, records);
    for (const problem of watchProblems.slice(0, 20)) reasons.push(`watch: ${problem}`);
    if (watchProblems.length > 20) reasons.push(`watch: ${watchProblems.length - 20} more problems`);
    log(
      `watchers: ${records
        .map(
          (r) =>
            `${r.name} ${r.messages.filter((m) => m.kind === 'event').length} events, ${r.messages.filter((m) => m.kind === 'resync').length} resyncs, ${r.hops} hops, ${r.breaks} broken streams`,
        )
        .join('; ')}; ${watchProblems.length} problems`,
    );
  }

  // Check the history.
  if (recorder.events().length > 0) {
    const checkStarted = performance.now();
    try {
      // By default about 5 minutes in all, at most 60 s and at least 5 s per key.
      const keyCount = new Set(recorder.events().flatMap((event) => (event.type === 'invoke' ? [event.key] : []))).size;
      const budget = options.checkBudgetMsPerKey ?? Math.min(60_000, Math.max(5_000, 300_000 / Math.max(1, keyCount)));
      report = checkHistory(recorder.events(), { timeBudgetMsPerKey: budget });
    } catch (error) {
      reasons.push(`checker error: ${(error as Error).message}`);
    }
    checkMs = performance.now() - checkStarted;
    log(`checker: ${report?.verdict} in ${Math.round(checkMs)} ms`);
  }
  const verdict = report?.verdict ?? 'not-checked';
  if (report) {
    for (const key of report.keys) {
      if (key.verdict === 'not-linearizable')
        anomalies.push(`key ${key.key}: not linearizable (operation #${key.failure?.stuck.operation.id})`);
      if (key.verdict === 'unknown') anomalies.push(`key ${key.key}: unknown (${key.reason})`);
    }
  }

  // Errors outside the fault windows.
  // Times in the reports are relative to the first event, as in the checker's report.
  const origin = report?.stats.startTime ?? workloadStart;
  const outside = errorsOutsideWindows(requests, windows, finalHeal, graceMs, origin);
  const timing = { fiveXx: 0, timeouts: 0, other: 0 };
  for (const error of outside) {
    if (error.what.startsWith('5')) timing.fiveXx++;
    else if (error.what === 'TIMEOUT') timing.timeouts++;
    else timing.other++;
  }

  if (options.negativeControl) {
    if (verdict === 'linearizable')
      reasons.push('negative control: the checker found the local reads linearizable: the harness found nothing');
    else if (verdict !== 'not-linearizable')
      reasons.push(`negative control: the checker could not decide (${verdict})`);
  } else {
    if (verdict !== 'linearizable') reasons.push(`linearizability: ${verdict}`);
    if (timing.fiveXx > 0) reasons.push(`${timing.fiveXx} 5xx answers outside fault windows (+${graceMs} ms grace)`);
    if (timing.timeouts > 0)
      reasons.push(`${timing.timeouts} client timeouts outside fault windows (+${graceMs} ms grace)`);
    if (timing.other > 0)
      reasons.push(`${timing.other} other request errors outside fault windows (+${graceMs} ms grace)`);
  }
  const unexpected = requests.filter((r) => r.status !== undefined && r.outcome === 'info' && r.status < 500);
  if (unexpected.length > 0) {
    reasons.push(
      `${unexpected.length} unexpected statuses (${[...new Set(unexpected.map((r) => `${r.f}:${r.status}`))].join(', ')})`,
    );
  }
  const passed = reasons.length === 0;

  const byKind: Record<string, number> = {};
  for (const window of windows) byKind[window.kind] = (byKind[window.kind] ?? 0) + 1;
  const result: ChaosResult = {
    passed,
    reasons,
    outDir,
    verdict,
    operations: {
      invoked: requests.length,
      checked: report?.stats.operations ?? 0,
      expiries: report?.stats.expiries ?? 0,
      ok: requests.filter((r) => r.outcome === 'ok').length,
      fail: requests.filter((r) => r.outcome === 'fail').length,
      info: requests.filter((r) => r.outcome === 'info').length,
    },
    faults: { planned: plan.length, injected: windows.length, byKind, errors: windows.filter((w) => w.error).length },
    agreement,
    outside: { ...timing, examples: outside.slice(0, 20) },
    checkMs,
    anomalies,
  };
  await writeReports(outDir, options, result, report, windows, plan, requests, origin, {
    clientTimeoutMs,
    graceMs,
    mainPath,
  });
  log(`result: ${passed ? 'PASS' : 'FAIL'} ${reasons.join(' | ')}`);
  await closeStream(harnessLog);

  if (passed && !options.keepLogs) rmSync(logDir, { recursive: true, force: true });
  return result;
}

/**
 * Requests that failed (5xx, timeout, reset, refused) while no fault was in
 * effect: not overlapping any window extended by the grace period after its heal.
 */
export function errorsOutsideWindows(
  requests: readonly RequestRecord[],
  windows: readonly FaultWindow[],
  finalHeal: { start: number; end: number } | undefined,
  graceMs: number,
  origin: number,
): OutsideError[] {
  const spans = windows.map((w) => ({ start: w.start, end: w.end + graceMs, healEnd: w.end }));
  if (finalHeal) spans.push({ start: finalHeal.start, end: finalHeal.end + graceMs, healEnd: finalHeal.end });
  const result: OutsideError[] = [];
  for (const r of requests) {
    const failed = r.errorCode !== undefined || (r.status !== undefined && r.status >= 500);
    if (!failed) continue;
    if (spans.some((span) => r.invokeTime <= span.end && r.completeTime >= span.start)) continue;
    const lastHeal = spans
      .filter((span) => span.healEnd <= r.invokeTime)
      .reduce((latest, span) => Math.max(latest, span.healEnd), -Infinity);
    result.push({
      id: r.id,
      client: r.client,
      node: r.node,
      key: r.key,
      f: r.f,
      what: r.errorCode ?? String(r.status),
      at: Math.round(r.invokeTime - origin),
      ...(lastHeal === -Infinity ? {} : { msAfterLastHeal: Math.round(r.invokeTime - lastHeal) }),
      ...(r.final ? { final: true } : {}),
    });
  }
  return result;
}

async function writeReports(
  outDir: string,
  options: ChaosOptions,
  result: ChaosResult,
  report: CheckReport | undefined,
  windows: readonly FaultWindow[],
  plan: readonly PlannedFault[],
  requests: readonly RequestRecord[],
  origin: number,
  derived: { clientTimeoutMs: number; graceMs: number; mainPath: string },
): Promise<void> {
  const statusCounts: Record<string, number> = {};
  for (const r of requests) {
    const label = r.errorCode ?? String(r.status);
    statusCounts[label] = (statusCounts[label] ?? 0) + 1;
  }
  const json = {
    ...result,
    options: { ...options, ...derived },
    statusCounts,
    windows: windows.map((w) => ({ ...w, startAt: Math.round(w.start - origin), endAt: Math.round(w.end - origin) })),
    plan,
    checker: report && {
      verdict: report.verdict,
      stats: report.stats,
      keys: report.keys.map((key) => ({ ...key, linearization: undefined })),
    },
  };
  await writeFile(path.join(outDir, 'report.json'), JSON.stringify(json, undefined, 2) + '\n');

  const lines: string[] = [];
  const mode = options.negativeControl
    ? 'NEGATIVE CONTROL (reads ?consistency=local; must be found NOT linearizable)'
    : 'normal';
  lines.push(`chaos run: ${result.passed ? 'PASS' : 'FAIL'}`);
  for (const reason of result.reasons) lines.push(`  - ${reason}`);
  lines.push(
    `mode: ${mode}`,
    `seed ${options.seed}, ${options.nodes} nodes, ${options.clients} clients, ${options.keys} keys, ${options.durationS} s, ` +
      `faults ${options.faults.join(',') || 'none'}, REQUEST_TIMEOUT_MS ${options.requestTimeoutMs}, client timeout ${derived.clientTimeoutMs} ms, grace ${derived.graceMs} ms`,
    `reproduce: node -r @swc-node/register test/chaos/run.ts --seed ${options.seed} --duration ${options.durationS} --nodes ${options.nodes} ` +
      `--faults ${options.faults.join(',') || 'none'} --clients ${options.clients} --keys ${options.keys} --request-timeout-ms ${options.requestTimeoutMs}` +
      (options.keyLifetimeS === undefined ? '' : ` --key-lifetime ${options.keyLifetimeS}`) +
      (options.all5xxIndeterminate ? ' --all-5xx-indeterminate' : '') +
      (options.negativeControl ? ' --negative-control' : ''),
    '',
    `operations: ${result.operations.invoked} requests (${result.operations.ok} ok, ${result.operations.fail} fail, ${result.operations.info} indeterminate), ` +
      `${result.operations.checked} checked by the checker`,
    `statuses: ${Object.entries(statusCounts)
      .sort()
      .map(([label, count]) => `${label}:${count}`)
      .join(' ')}`,
    `faults: ${result.faults.injected} injected of ${result.faults.planned} planned; ` +
      `${
        Object.entries(result.faults.byKind)
          .map(([kind, count]) => `${kind}:${count}`)
          .join(' ') || 'none'
      }` +
      (result.faults.errors > 0 ? `; ${result.faults.errors} with errors` : ''),
    `linearizability: ${result.verdict}, checked in ${(result.checkMs / 1000).toFixed(2)} s`,
    `final agreement: ${result.agreement.agree ? 'all nodes agree on every key' : 'DISAGREE'}`,
    ...result.agreement.disagreements.map((d) => `  ${d}`),
    `errors outside fault windows (+grace): ${result.outside.fiveXx} 5xx, ${result.outside.timeouts} timeouts, ${result.outside.other} other`,
    ...result.outside.examples.map(
      (e) =>
        `  #${e.id} ${e.client}@${e.node} ${e.f} ${e.key} -> ${e.what} at +${e.at} ms` +
        (e.msAfterLastHeal === undefined ? '' : ` (${e.msAfterLastHeal} ms after the last heal)`) +
        (e.final ? ' [final read]' : ''),
    ),
    '',
    'fault windows (ms from the first event of the history, as in the checker report):',
    ...windows.map(
      (w) =>
        `  #${w.id} ${w.kind.padEnd(9)} [+${Math.round(w.start - origin)}, +${Math.round(w.end - origin)}] ` +
        `${w.targets.join(',')} ${JSON.stringify(w.details)}${w.error ? ` ERROR ${w.error}` : ''}`,
    ),
    '',
  );
  if (report) lines.push(formatReport(report));
  await writeFile(path.join(outDir, 'report.txt'), lines.join('\n') + '\n');
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}
