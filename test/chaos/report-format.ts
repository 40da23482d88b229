/**
 * Human-readable rendering of a CheckReport. Times are shown relative to the
 * first event of the history, since raw epoch milliseconds are unreadable.
 */
import type { CheckReport, KeyReport, UnplacedOperation } from './checker';
import type { JsonValue, KvOperation, Operation } from './history';
import { canonicalJson } from './model';

export function formatReport(report: CheckReport): string {
  const { stats } = report;
  const lines = [
    `linearizability: ${headline(report.verdict)}`,
    `  ${stats.keys} keys, ${stats.operations} operations checked, ${stats.dropped} dropped ` +
      `(reads without a result, failed unconditional writes), ${stats.expiries} expiries placed, ` +
      formatDuration(stats.elapsedMs),
  ];
  for (const key of report.keys) lines.push(...formatKey(key, stats.startTime));
  return lines.join('\n') + '\n';
}

function formatKey(report: KeyReport, startTime: number): string[] {
  const summary =
    `${report.operations} ops, ${report.indeterminate} indeterminate, ` +
    `${report.statesExplored} states, ${formatDuration(report.elapsedMs)}`;
  const title = `key ${JSON.stringify(report.key)}: ${headline(report.verdict)} (${summary})`;
  if (report.verdict === 'unknown') return [title, `  ${report.reason}`];
  if (report.failure === undefined) return [title];

  const { failure } = report;
  const elided = failure.prefixIds.length - failure.prefixTail.length;
  const lines = [title];
  lines.push(
    failure.prefixIds.length === 0
      ? '  no operation could be linearized first'
      : `  longest linearizable prefix: ${failure.prefixIds.length} operations` +
          (elided > 0 ? ` (${elided} earlier not shown)` : '') +
          ', ending with:',
  );
  for (const operation of failure.prefixTail) lines.push(`    ${formatOperation(operation, startTime)}`);
  const state = failure.stateAfterPrefix;
  lines.push(
    `  register then: ${state.present ? `${canonicalJson(state.value)} at version ${state.version}` : `absent at version ${state.version}`}`,
  );
  lines.push('  cannot place:');
  lines.push(...formatUnplaced(failure.stuck, startTime));
  // Timed-out operations stay in flight forever, so a long run accumulates
  // many: show every definite one but only the latest few of those, and
  // merely count the ones that could not have had any effect at this point.
  const definite = failure.concurrent.filter((unplaced) => !unplaced.indeterminate);
  const possible = failure.concurrent.filter((unplaced) => unplaced.indeterminate && unplaced.applicable);
  const inert = failure.concurrent.filter((unplaced) => unplaced.indeterminate && !unplaced.applicable);
  const shownPossible = possible.slice(-INDETERMINATE_SHOWN);
  if (definite.length + shownPossible.length > 0) {
    lines.push('  while in flight (every order tried):');
    for (const unplaced of [...definite, ...shownPossible]) lines.push(...formatUnplaced(unplaced, startTime));
  }
  const hidden = possible.slice(0, possible.length - shownPossible.length);
  if (hidden.length > 0) lines.push(`  and ${hidden.length} earlier indeterminate operations: ${idList(hidden)}`);
  if (inert.length > 0) {
    lines.push(`  and ${inert.length} indeterminate operations that could not take effect there: ${idList(inert)}`);
  }
  return lines;
}

const INDETERMINATE_SHOWN = 4;

function idList(unplaced: readonly UnplacedOperation[]): string {
  return unplaced.map((u) => `#${u.operation.id}`).join(' ');
}

function formatUnplaced(unplaced: UnplacedOperation, startTime: number): string[] {
  const reason = unplaced.rejection ?? 'could apply here, but no order of the operations after it works';
  return [`    ${formatOperation(unplaced.operation, startTime)}`, `      -> ${reason}`];
}

/** e.g. `#12 c1 cas({"n":2}, if v3) -> ok v4  [+10.250, +12.500] ms` */
export function formatOperation(operation: Operation, startTime: number): string {
  const interval =
    `[+${formatTime(operation.invokeTime - startTime)}, ` +
    `${operation.completeTime === undefined ? 'never' : `+${formatTime(operation.completeTime - startTime)}`}] ms`;
  return `#${operation.id} ${operation.client} ${formatCall(operation.op)} -> ${formatOutcome(operation)}  ${interval}`;
}

function formatCall(op: KvOperation): string {
  switch (op.f) {
    case 'read':
      return op.via === undefined ? 'read()' : `read(via ${op.via})`;
    case 'write':
      return `write(${canonicalJson(op.value)}${ttl(op.ttlSeconds)})`;
    case 'create':
      return `create(${canonicalJson(op.value)}${ttl(op.ttlSeconds)})`;
    case 'cas':
      return `cas(${canonicalJson(op.value)}, if v${op.expectVersion}${ttl(op.ttlSeconds)})`;
    case 'delete':
      return op.expectVersion === undefined ? 'delete()' : `delete(if v${op.expectVersion})`;
  }
}

function ttl(seconds: number | undefined): string {
  return seconds === undefined ? '' : `, ttl ${seconds}s`;
}

function formatOutcome(operation: Operation): string {
  if (operation.status === 'info') return `info${operation.error === undefined ? '' : ` (${operation.error})`}`;
  const result = operation.result as Record<string, unknown> | undefined;
  if (operation.status === 'fail') return result?.code === undefined ? 'fail' : `fail ${JSON.stringify(result.code)}`;
  if (operation.op.f === 'read') {
    if (result?.found !== true) return 'ok not-found';
    const version = result.version === undefined ? '' : ` v${JSON.stringify(result.version)}`;
    return `ok ${canonicalJson(result.value as JsonValue)}${version}`;
  }
  return result?.version === undefined ? 'ok' : `ok v${JSON.stringify(result.version)}`;
}

function headline(verdict: CheckReport['verdict']): string {
  if (verdict === 'linearizable') return 'linearizable';
  if (verdict === 'not-linearizable') return 'NOT LINEARIZABLE';
  return 'UNKNOWN';
}

function formatTime(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(3);
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
