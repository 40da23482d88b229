/**
 * Command line front end of the checker:
 *
 *   check-cli <history.jsonl> [--budget-ms N] [--json]
 *
 * Prints the report (human-readable, or the raw CheckReport with --json) and
 * exits with 0 when linearizable, 1 when not, 2 when the verdict is unknown
 * (a key ran out of budget) or the input is unusable. "Unknown" gets its own
 * code so CI can tell "found a bug" from "could not decide".
 */
import { checkHistory } from './checker';
import { HistoryFormatError, readHistoryFile } from './history';
import { formatReport } from './report-format';

export const EXIT_LINEARIZABLE = 0;
export const EXIT_NOT_LINEARIZABLE = 1;
export const EXIT_UNKNOWN_OR_ERROR = 2;

const USAGE = 'usage: check-cli <history.jsonl> [--budget-ms N] [--json]\n';

export interface CliOutput {
  write(text: string): unknown;
}

/** Runs the CLI on `argv` (without node and script), returns the exit code and sets process.exitCode. */
export function main(
  argv: readonly string[],
  stdout: CliOutput = process.stdout,
  stderr: CliOutput = process.stderr,
): number {
  const code = run(argv, stdout, stderr);
  process.exitCode = code;
  return code;
}

function run(argv: readonly string[], stdout: CliOutput, stderr: CliOutput): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    stderr.write(`${args}\n${USAGE}`);
    return EXIT_UNKNOWN_OR_ERROR;
  }
  let report;
  try {
    report = checkHistory(readHistoryFile(args.path), { timeBudgetMsPerKey: args.budgetMs });
  } catch (error) {
    if (!(error instanceof HistoryFormatError) && (error as NodeJS.ErrnoException).code === undefined) throw error;
    stderr.write(`cannot check ${args.path}: ${(error as Error).message}\n`);
    return EXIT_UNKNOWN_OR_ERROR;
  }
  stdout.write(args.json ? JSON.stringify(report, undefined, 2) + '\n' : formatReport(report));
  if (report.verdict === 'linearizable') return EXIT_LINEARIZABLE;
  return report.verdict === 'not-linearizable' ? EXIT_NOT_LINEARIZABLE : EXIT_UNKNOWN_OR_ERROR;
}

interface CliArgs {
  readonly path: string;
  readonly budgetMs?: number;
  readonly json: boolean;
}

/** The parsed arguments, or an error message. */
function parseArgs(argv: readonly string[]): CliArgs | string {
  let path: string | undefined;
  let budgetMs: number | undefined;
  let json = false;
  // One iterator for the loop and for an option's value, which next() takes.
  const args = argv[Symbol.iterator]();
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '--budget-ms') {
      budgetMs = Number(args.next().value);
      if (!Number.isFinite(budgetMs) || budgetMs <= 0) return '--budget-ms needs a positive number';
    } else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else if (path === undefined) path = arg;
    else return `unexpected argument ${arg}`;
  }
  if (path === undefined) return 'missing history file';
  return { path, json, ...(budgetMs === undefined ? {} : { budgetMs }) };
}

if (require.main === module) main(process.argv.slice(2));
