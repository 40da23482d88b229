import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly gitCommit: string;
}

/** What the numbers were measured on: without it they mean little. */
export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gitCommit: gitCommit(),
  };
}

/** BENCH_COMMIT names the code when the tree measured is an export, not a checkout. */
function gitCommit(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  const cwd = path.resolve(__dirname, '..');
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    // A dirty tree means the numbers belong to uncommitted code: say so.
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'src'], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
    return dirty ? `${commit} (src/ has uncommitted changes)` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function formatMachine(machine: MachineDescription): string {
  return [
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`,
    `node ${machine.node}, commit ${machine.gitCommit}`,
  ].join('\n');
}

export type Cell = string | number | undefined;

/** A plain-text table; numbers are right-aligned, text left-aligned. Also valid Markdown. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((cell) => (cell === undefined ? '' : String(cell))));
  const numeric = headers.map((_, column) =>
    rows.every((row) => typeof row[column] !== 'string' || /^[\d.,x×%+-]*$/.test(row[column])),
  );
  const widths = headers.map((header, column) => Math.max(header.length, ...text.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric[column] ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

/** Fixed decimals chosen by magnitude, so columns stay readable. */
export function formatNumber(value: number | undefined, decimals?: number): string | undefined {
  if (value === undefined || Number.isNaN(value)) return undefined;
  const places = decimals ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toFixed(places);
}
