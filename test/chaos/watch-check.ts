/**
 * What the watch streams of a chaos run promise (README, "Watching"),
 * checked against the history of what clients were told:
 *
 * - per key, versions rise along each watcher's stream (across its hops);
 * - every put event is a value some write sent, not one that certainly
 *   failed, at the version the write was acknowledged with;
 * - every acknowledged write made while a watcher was watching reached it,
 *   or the watcher was sent a resync at a position at or after the write
 *   began. Positions are stamps, microseconds of the nodes' clocks (the same
 *   machine's as the history's), so "after the write began" is known without
 *   knowing the write's own stamp: weaker than the promise (a resync just
 *   before the write's position would pass), never stricter.
 */
import type { WatcherRecord } from './harness/watch-client';
import type { JsonValue } from './history';

export interface WriteRecord {
  readonly key: string;
  readonly value: JsonValue;
  readonly status: 'ok' | 'fail' | 'info';
  readonly version?: number;
  /** History times, ms. */
  readonly invokeTime: number;
  readonly completeTime: number;
}

/** Clocks of separate processes on one machine, and the history's clock against Date.now(): room for both. */
const CLOCK_MARGIN_MS = 1000;

export function checkWatchStreams(writes: readonly WriteRecord[], watchers: readonly WatcherRecord[]): string[] {
  const problems: string[] = [];
  const byValue = new Map(writes.map((write) => [JSON.stringify(write.value), write]));
  for (const watcher of watchers) {
    const seen = new Set<string>();
    const versions = new Map<string, number>();
    for (const message of watcher.messages) {
      if (message.kind !== 'event') continue;
      const key = message.key!;
      const version = message.version!;
      const before = versions.get(key);
      if (before !== undefined && version <= before)
        problems.push(`${watcher.name}: ${key} v${version} after v${before} (from ${message.node})`);
      versions.set(key, version);
      if (message.event !== 'put') continue;
      const text = JSON.stringify(message.value);
      seen.add(text);
      const write = byValue.get(text);
      if (write === undefined || write.key !== key)
        problems.push(`${watcher.name}: put ${key} = ${text} v${version}, which no write sent`);
      else if (write.status === 'fail')
        problems.push(`${watcher.name}: put ${key} = ${text}, a write that certainly failed`);
      else if (write.status === 'ok' && write.version !== undefined && write.version !== version)
        problems.push(`${watcher.name}: put ${key} = ${text} at v${version}, acknowledged at v${write.version}`);
    }
    if (watcher.startStamp === undefined || watcher.lastStamp === undefined) continue;
    const resyncs = watcher.messages.filter((m) => m.kind === 'resync').map((m) => m.stamp);
    for (const write of writes) {
      if (write.status !== 'ok' || seen.has(JSON.stringify(write.value))) continue;
      // Only writes wholly inside what the watcher watched.
      if (watcher.startStamp > (write.invokeTime - CLOCK_MARGIN_MS) * 1000) continue;
      if (watcher.lastStamp < (write.completeTime + CLOCK_MARGIN_MS) * 1000) continue;
      const began = (write.invokeTime - CLOCK_MARGIN_MS) * 1000;
      if (!resyncs.some((stamp) => stamp >= began))
        problems.push(
          `${watcher.name}: acknowledged ${write.key} = ${JSON.stringify(write.value)} (v${write.version}) neither sent nor followed by a resync`,
        );
    }
  }
  return problems;
}
