/**
 * The fault-injection suite's command line:
 *
 *   node -r @swc-node/register test/chaos/run.ts [options]
 *
 *   --duration S            seconds of workload under faults (default 60)
 *   --seed N                reproduces the nemesis schedule and the clients' choices (default: random)
 *   --nodes 3|5             cluster size (default 3)
 *   --faults LIST           kill,pause,partition,bridge,isolate,delay,all,none (default all)
 *   --clients N             concurrent clients (default 6)
 *   --keys N                hot keys (default 4)
 *   --key-lifetime S        every S seconds the clients move on to fresh keys, so that long runs stay
 *                           checkable (the checker's work grows with the operations per key); default 60
 *   --request-timeout-ms N  the nodes' REQUEST_TIMEOUT_MS (default 1000)
 *   --negative-control      reads with ?consistency=local: passes only if the checker finds a violation
 *   --all-5xx-indeterminate record an unconditional write's 503 mayHaveTakenEffect:false as indeterminate too
 *                           (by default it is recorded as not having happened, holding the store to its claim)
 *   --out DIR               run directory (default .chaos-runs/<timestamp>-<seed>)
 *   --main PATH             node entry point (default $CHAOS_NODE_MAIN, else dist/main.js; run `npm run build` first)
 *   --client-timeout-ms N   client-side bound per request (default request timeout + max(500, half of it))
 *   --grace-ms N            after each heal, errors still count as the fault's for this long (default 2 × request timeout)
 *   --check-budget-ms N     the checker's time budget per key (default 300 s / keys, within 5-60 s)
 *   --log-level LEVEL       the nodes' LOG_LEVEL (default log)
 *   --keep-logs             keep node logs even when the run passes (they are always kept when it fails)
 *   --keep-databases        do not drop the nodes' databases afterwards
 *   --quiet                 do not echo the harness log
 *
 * Writes history.jsonl, faults.jsonl, requests.jsonl, plan.json, harness.log,
 * report.txt, report.json and (for failed runs) nodes/<id>.log into the run
 * directory. Exit code 0 only when the history is linearizable, all nodes agree
 * after healing and no request failed outside the fault windows; for the
 * negative control, 0 only when the checker reports a violation. 1 otherwise,
 * 2 for bad arguments.
 */
import path from 'node:path';
import { stopAllClusters } from './harness/cluster';
import { parseFaultKinds } from './harness/nemesis';
import { ChaosOptions, runChaos } from './harness/run-chaos';

const USAGE =
  'usage: run.ts [--duration S] [--seed N] [--nodes 3|5] [--faults LIST] [--clients N] [--keys N] ' +
  '[--key-lifetime S] [--request-timeout-ms N] [--negative-control] [--all-5xx-indeterminate] [--out DIR] [--main PATH] [--client-timeout-ms N] [--grace-ms N] ' +
  '[--check-budget-ms N] [--log-level L] [--keep-logs] [--keep-databases] [--quiet]';

export function parseArgs(argv: readonly string[]): ChaosOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const flagNames = [
    '--negative-control',
    '--all-5xx-indeterminate',
    '--keep-logs',
    '--keep-databases',
    '--quiet',
    '--help',
  ];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (flagNames.includes(name)) {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value`);
    values.set(name, value);
  }
  if (flags.has('--help')) throw new Error('');
  const known = [
    '--duration',
    '--seed',
    '--nodes',
    '--faults',
    '--clients',
    '--keys',
    '--key-lifetime',
    '--request-timeout-ms',
    '--out',
    '--main',
    '--client-timeout-ms',
    '--grace-ms',
    '--check-budget-ms',
    '--log-level',
  ];
  for (const name of values.keys()) if (!known.includes(name)) throw new Error(`unknown option ${name}`);

  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new Error(`${name} must be an integer in [${min}, ${max}]`);
    return parsed;
  };
  const seed = number('--seed', Math.floor(Math.random() * 1_000_000), 0, 2 ** 31 - 1);
  const nodes = number('--nodes', 3, 1, 9);
  if (nodes !== 3 && nodes !== 5) throw new Error('--nodes must be 3 or 5');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const optional = <T>(name: string, convert: () => T): T | undefined => (values.has(name) ? convert() : undefined);
  return {
    durationS: number('--duration', 60, 1, 24 * 3600),
    seed,
    nodes,
    faults: parseFaultKinds(values.get('--faults') ?? 'all'),
    clients: number('--clients', 6, 1, 64),
    keys: number('--keys', 4, 1, 100),
    keyLifetimeS: number('--key-lifetime', 60, 1, 24 * 3600),
    requestTimeoutMs: number('--request-timeout-ms', 1000, 100, 60_000),
    negativeControl: flags.has('--negative-control'),
    all5xxIndeterminate: flags.has('--all-5xx-indeterminate'),
    outDir: values.get('--out') ?? path.join('.chaos-runs', `${stamp}-${seed}`),
    mainPath: values.get('--main'),
    clientTimeoutMs: optional('--client-timeout-ms', () => number('--client-timeout-ms', 0, 100, 600_000)),
    graceMs: optional('--grace-ms', () => number('--grace-ms', 0, 0, 600_000)),
    checkBudgetMsPerKey: optional('--check-budget-ms', () => number('--check-budget-ms', 0, 100, 3_600_000)),
    logLevel: values.get('--log-level'),
    keepLogs: flags.has('--keep-logs'),
    keepDatabases: flags.has('--keep-databases'),
    verbose: !flags.has('--quiet'),
  };
}

async function main(): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    const message = (error as Error).message;
    process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const result = await runChaos(options);
  const summary = [
    `chaos run ${result.passed ? 'PASSED' : 'FAILED'}${options.negativeControl ? ' (negative control)' : ''}: ${result.outDir}`,
    ...result.reasons.map((reason) => `  - ${reason.split('\n')[0]}`),
    `  ${result.operations.invoked} requests, ${result.operations.checked} operations checked ` +
      `(${result.operations.expiries} store expiries placed), verdict ${result.verdict} in ` +
      `${(result.checkMs / 1000).toFixed(2)} s; faults ${JSON.stringify(result.faults.byKind)}; ` +
      `outside windows: ${result.outside.fiveXx} 5xx, ${result.outside.timeouts} timeouts, ${result.outside.other} other; ` +
      `nodes ${result.agreement.agree ? 'agree' : 'DISAGREE'}`,
    `  see ${path.join(result.outDir, 'report.txt')}`,
  ];
  process.stdout.write(summary.join('\n') + '\n');
  return result.passed ? 0 : 1;
}

if (require.main === module) {
  // Ctrl-C or a CI timeout: leave no node process or database behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping the nodes and dropping their databases\n`);
      void stopAllClusters().finally(() => process.exit(130));
    });
  }
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`chaos run crashed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
