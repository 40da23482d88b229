import { setTimeout as sleep } from 'node:timers/promises';
import { NodeProcess } from '../../scripts/launcher/node-process';

/** One line a node logged: pino's JSON, with the fields every line has. */
export interface LogLine {
  readonly level: string;
  readonly time: string;
  readonly nodeId: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** The launcher keeps each line with the seconds since the node's start in front: "+1.2s {...}". */
const LAUNCHER_PREFIX = /^\+\d+(\.\d+)?s /;

/** Every line the node printed, parsed; throws on one that is not a JSON log line. */
export function logLinesOf(node: NodeProcess): LogLine[] {
  return node.outputLines().map((kept) => {
    const line = kept.replace(LAUNCHER_PREFIX, '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`node ${node.name} printed a line that is not JSON: ${line}`);
    }
    const { level, time, nodeId } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof level !== 'string' || typeof time !== 'string' || typeof nodeId !== 'string')
      throw new Error(`node ${node.name} printed a line without level, time or nodeId: ${line}`);
    return parsed as LogLine;
  });
}

/**
 * Waits until the node has logged a line that `matches` (a node writes a
 * request's line as it finishes the answer, so it may arrive just after it).
 */
export async function waitForLogLine(
  node: NodeProcess,
  matches: (line: LogLine) => boolean,
  timeoutMs = 10_000,
): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logLinesOf(node).find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`node ${node.name} logged no such line:\n${node.output()}`);
    await sleep(50);
  }
}
