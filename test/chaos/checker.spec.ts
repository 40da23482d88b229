import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from './check-cli';
import { type CheckReport, type KeyReport, checkHistory } from './checker';
import {
  type CompleteEvent,
  type CompletionStatus,
  type HistoryEvent,
  HistoryFormatError,
  HistoryRecorder,
  type JsonValue,
  type KvOperation,
  pairOperations,
  parseHistory,
  toJsonl,
} from './history';
import { type RegisterOp, INITIAL_STATE, type RegisterState, step, toRegisterOps } from './model';
import { formatReport } from './report-format';
import { generateLinearizableHistory } from './synthetic-history';

type Interval = readonly [invoke: number, complete: number];
type Seen = { readonly value: JsonValue; readonly version?: number } | 'absent';

/**
 * Builds histories tersely: each call records one operation with its
 * interval and outcome. Ids are shared across keys so multi-key histories
 * stay valid.
 */
function historyBuilder() {
  const events: HistoryEvent[] = [];
  let nextId = 1;

  const forKey = (key: string) => {
    const record = (
      client: string,
      op: KvOperation,
      [invoke, complete]: Interval,
      status: CompletionStatus,
      result?: CompleteEvent['result'],
    ): number => {
      const id = nextId++;
      events.push({ type: 'invoke', id, client, key, op, time: invoke });
      events.push({ type: 'complete', id, status, ...(result === undefined ? {} : { result }), time: complete });
      return id;
    };
    const version = (v?: number) => (v === undefined ? {} : { version: v });
    return {
      record,
      write: (client: string, value: JsonValue, interval: Interval, v?: number) =>
        record(client, { f: 'write', value }, interval, 'ok', version(v)),
      /** A write that timed out at `interval[1]`: it may or may not have happened. */
      writeTimeout: (client: string, value: JsonValue, interval: Interval) =>
        record(client, { f: 'write', value }, interval, 'info'),
      read: (client: string, interval: Interval, seen: Seen) =>
        record(
          client,
          { f: 'read' },
          interval,
          'ok',
          seen === 'absent' ? { found: false } : { found: true, value: seen.value, ...version(seen.version) },
        ),
      cas: (
        client: string,
        value: JsonValue,
        expectVersion: number,
        interval: Interval,
        status: CompletionStatus,
        v?: number,
      ) =>
        record(
          client,
          { f: 'cas', value, expectVersion },
          interval,
          status,
          status === 'fail' ? { code: 412 } : version(v),
        ),
      create: (client: string, value: JsonValue, interval: Interval, status: CompletionStatus) =>
        record(client, { f: 'create', value }, interval, status, status === 'fail' ? { code: 412 } : undefined),
      delete: (client: string, interval: Interval, status: CompletionStatus, expectVersion?: number) =>
        record(
          client,
          expectVersion === undefined ? { f: 'delete' } : { f: 'delete', expectVersion },
          interval,
          status,
          status === 'fail' ? { code: expectVersion === undefined ? 404 : 412 } : undefined,
        ),
    };
  };
  return { events, ...forKey('k'), forKey };
}

function verdictOf(events: readonly HistoryEvent[]): CheckReport['verdict'] {
  return checkHistory(events).verdict;
}

function onlyKey(report: CheckReport): KeyReport {
  const [only, ...others] = report.keys;
  if (only === undefined || others.length > 0) throw new Error(`expected one key, got ${report.keys.length}`);
  return only;
}

describe('checkHistory: linearizable histories', () => {
  it('accepts an empty history', () => {
    const report = checkHistory([]);
    expect(report.verdict).toBe('linearizable');
    expect(report.stats).toMatchObject({ keys: 0, operations: 0 });
  });

  it('accepts a sequential write then read, with versions', () => {
    const h = historyBuilder();
    h.read('c1', [0, 1], 'absent');
    h.write('c1', 'a', [2, 3], 1);
    h.read('c2', [4, 5], { value: 'a', version: 1 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts concurrent writes with overlapping reads that see either value', () => {
    const h = historyBuilder();
    h.write('c1', 1, [0, 10]);
    h.write('c2', 2, [0, 10]);
    // Seeing 2 and then 1 forces the order write(2), read, write(1), read.
    h.read('c3', [2, 8], { value: 2 });
    h.read('c4', [3, 9], { value: 1 });
    h.read('c3', [11, 12], { value: 1, version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts the opposite order of the same concurrent writes', () => {
    const h = historyBuilder();
    h.write('c1', 1, [0, 10]);
    h.write('c2', 2, [0, 10]);
    h.read('c3', [2, 8], { value: 1 });
    h.read('c4', [3, 9], { value: 2 });
    h.read('c3', [11, 12], { value: 2, version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts reads concurrent with a write that see the old value and then the new one', () => {
    const h = historyBuilder();
    h.write('c1', 'old', [0, 1]);
    h.write('c1', 'new', [10, 30]);
    h.read('c2', [12, 14], { value: 'old', version: 1 });
    h.read('c2', [15, 17], { value: 'new', version: 2 });
    h.read('c3', [18, 19], { value: 'new', version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts an indeterminate write that took effect', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'b', [2, 5]);
    h.read('c3', [6, 7], { value: 'b', version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts an indeterminate write that did not take effect', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'b', [2, 5]);
    h.read('c3', [6, 7], { value: 'a', version: 1 });
    h.read('c3', [100, 101], { value: 'a', version: 1 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts an indeterminate write taking effect long after the client gave up', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'b', [2, 5]);
    h.read('c3', [6, 7], { value: 'a', version: 1 });
    h.read('c3', [500, 501], { value: 'b', version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('treats an operation that never completed as indeterminate', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1]);
    h.events.push({ type: 'invoke', id: 99, client: 'c2', key: 'k', op: { f: 'write', value: 'b' }, time: 2 });
    h.read('c3', [6, 7], { value: 'b' });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('drops indeterminate reads, which constrain nothing', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1]);
    h.events.push(
      { type: 'invoke', id: 50, client: 'c2', key: 'k', op: { f: 'read' }, time: 2 },
      { type: 'complete', id: 50, status: 'info', error: 'timeout', time: 3 },
    );
    const key = onlyKey(checkHistory(h.events));
    expect(key).toMatchObject({ verdict: 'linearizable', operations: 1, dropped: 1 });
  });

  it('accepts CAS that succeeds on the current version and fails (412) on a stale one', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.cas('c1', 'b', 1, [2, 3], 'ok', 2);
    h.cas('c2', 'c', 1, [4, 5], 'fail');
    h.read('c2', [6, 7], { value: 'b', version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts a CAS that failed because a concurrent write got in first', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.write('c2', 'b', [2, 10], 2);
    h.cas('c3', 'c', 1, [3, 9], 'fail');
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts a version explained by several interchangeable indeterminate writes', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'x', [2, 3]);
    h.writeTimeout('c3', 'y', [5, 6]);
    h.writeTimeout('c4', 'z', [7, 8]);
    h.cas('c5', 'b', 3, [12, 13], 'ok', 4);
    h.read('c5', [14, 15], { value: 'b', version: 4 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts indeterminate writes that must have happened in one specific order', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'x', [2, 3]);
    h.writeTimeout('c3', 'y', [2, 3]);
    h.read('c4', [10, 11], { value: 'x', version: 3 }); // y, then x
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts when it matters which of two indeterminate writes happened first', () => {
    // Only y, b, x, read works; the search must not treat x (read later) and y as interchangeable.
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'x', [2, 3]);
    h.writeTimeout('c3', 'y', [2, 3]);
    h.cas('c4', 'b', 2, [4, 5], 'ok', 3);
    h.read('c5', [10, 11], { value: 'x' });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts when it matters which kind of indeterminate operation happened', () => {
    // Only write a, delete, create(c), cas(x), write(w), cas(y) works: after
    // the cas to version 4 the next change must be one that works on a
    // present key, i.e. the write, so the create must have been used before.
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.record('c2', { f: 'delete' }, [2, 3], 'info');
    h.writeTimeout('c3', 'w', [2, 3]);
    h.record('c4', { f: 'create', value: 'c' }, [2, 3], 'info');
    h.cas('c5', 'x', 3, [10, 11], 'ok', 4);
    h.cas('c5', 'y', 5, [12, 13], 'ok', 6);
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts an indeterminate CAS that took effect', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.cas('c2', 'b', 1, [2, 3], 'info');
    h.read('c3', [4, 5], { value: 'b', version: 2 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts create, delete and their 412/404 failures in a consistent order', () => {
    const h = historyBuilder();
    h.delete('c1', [0, 1], 'fail'); // 404: absent
    h.create('c1', 'a', [2, 3], 'ok');
    h.create('c2', 'b', [4, 5], 'fail'); // 412: present
    h.delete('c2', [6, 7], 'fail', 7); // 412: wrong version
    h.delete('c2', [8, 9], 'ok', 1);
    h.read('c3', [10, 11], 'absent');
    h.create('c3', 'c', [12, 13], 'ok');
    h.read('c1', [14, 15], { value: 'c', version: 3 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('compares values as JSON, ignoring object key order', () => {
    const h = historyBuilder();
    h.write('c1', { a: 1, b: [1, { x: null, y: 'z' }] }, [0, 1]);
    h.read('c2', [2, 3], { value: { b: [1, { y: 'z', x: null }], a: 1 } });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('treats equal invoke and complete times as concurrent', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 5]);
    h.read('c2', [5, 6], 'absent');
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('returns a witness order for a linearizable key', () => {
    const h = historyBuilder();
    const write1 = h.write('c1', 1, [0, 10]);
    const write2 = h.write('c2', 2, [0, 10]);
    const read = h.read('c3', [11, 12], { value: 1 });
    expect(onlyKey(checkHistory(h.events)).linearization).toEqual([write2, write1, read]);
  });
});

describe('checkHistory: violations', () => {
  it('rejects a stale read after a completed write', () => {
    const h = historyBuilder();
    h.write('c1', 'old', [0, 1]);
    h.write('c1', 'new', [2, 3]);
    h.read('c2', [4, 5], { value: 'old' });
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a lost update: two successful CAS against the same version', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.cas('c2', 'b', 1, [2, 10], 'ok');
    h.cas('c3', 'c', 1, [2, 10], 'ok');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a read of a value never written', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 10]);
    h.writeTimeout('c2', 'b', [0, 10]);
    h.read('c3', [1, 9], { value: 'zzz' });
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects non-monotonic reads across clients', () => {
    const h = historyBuilder();
    h.write('c1', 'old', [0, 1]);
    h.write('c1', 'new', [2, 20]);
    h.read('A', [3, 5], { value: 'new' });
    h.read('B', [6, 8], { value: 'old' }); // starts after A finished
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a CAS that succeeded against a stale version', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.write('c1', 'b', [2, 3], 2);
    h.cas('c2', 'c', 1, [4, 5], 'ok');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a delete that returned 404 while the key was definitely present', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1]);
    h.delete('c2', [2, 3], 'fail');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a CAS that failed with 412 although nothing could have changed the version', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.cas('c2', 'b', 1, [2, 3], 'fail');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects two successful creates with no delete between them', () => {
    const h = historyBuilder();
    h.create('c1', 'a', [0, 1], 'ok');
    h.create('c2', 'b', [2, 3], 'ok');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a write reporting a version that skips one', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.write('c1', 'b', [2, 3], 3);
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a read of a value whose indeterminate write had not even been sent yet', () => {
    const h = historyBuilder();
    h.read('c1', [0, 1], { value: 'b' });
    h.writeTimeout('c2', 'b', [2, 5]);
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects a version that needs more indeterminate writes than had been invoked', () => {
    // Version 3 at time 12 needs two writes after v1, but only one had been sent.
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1], 1);
    h.writeTimeout('c2', 'x', [2, 3]);
    h.writeTimeout('c3', 'y', [20, 21]);
    h.cas('c4', 'b', 3, [12, 13], 'ok');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects an indeterminate write that took effect, then un-happened', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 1]);
    h.writeTimeout('c2', 'b', [2, 5]);
    h.read('c3', [6, 7], { value: 'b' });
    h.read('c3', [8, 9], { value: 'a' });
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });
});

describe('checkHistory: per-key checking', () => {
  it('judges each key separately and fails the history if any key fails', () => {
    const h = historyBuilder();
    const good = h.forKey('good');
    const bad = h.forKey('bad');
    good.write('c1', 1, [0, 1]);
    good.read('c2', [2, 3], { value: 1 });
    bad.write('c1', 1, [0, 1]);
    bad.write('c1', 2, [2, 3]);
    bad.read('c2', [4, 5], { value: 1 });

    const report = checkHistory(h.events);
    expect(report.verdict).toBe('not-linearizable');
    expect(report.keys.map((key) => [key.key, key.verdict])).toEqual([
      ['bad', 'not-linearizable'],
      ['good', 'linearizable'],
    ]);
    expect(report.stats).toMatchObject({ keys: 2, operations: 5 });
  });

  it('does not let a write to one key explain a read of another', () => {
    const h = historyBuilder();
    h.forKey('a').write('c1', 'x', [0, 1]);
    h.forKey('b').read('c2', [2, 3], { value: 'x' });
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });
});

describe('checkHistory: failure report', () => {
  function staleReadHistory() {
    const h = historyBuilder();
    h.read('c0', [0, 1], 'absent');
    h.write('c1', 'old', [2, 3], 1);
    const newWrite = h.write('c1', 'new', [4, 5], 2);
    const concurrentWrite = h.write('c3', 'other', [6, 20]);
    const staleRead = h.read('c2', [7, 9], { value: 'old', version: 1 });
    h.read('c2', [30, 31], { value: 'other', version: 3 });
    return { events: h.events, newWrite, concurrentWrite, staleRead };
  }

  it('names the operation that cannot be placed, the state it met, and what was in flight', () => {
    const { events, newWrite, concurrentWrite, staleRead } = staleReadHistory();
    const key = onlyKey(checkHistory(events));
    expect(key.verdict).toBe('not-linearizable');
    const failure = key.failure!;
    expect(failure.stuck.operation.id).toBe(staleRead);
    expect(failure.stuck.rejection).toMatch(/read saw value "old" at version 1/);
    expect(failure.prefixIds).toContain(newWrite);
    expect(failure.prefixIds).not.toContain(staleRead);
    expect(failure.stateAfterPrefix.version).toBeGreaterThanOrEqual(2);
    const everyPlacedOrTried = [...failure.prefixIds, ...failure.concurrent.map((u) => u.operation.id)];
    expect(everyPlacedOrTried).toContain(concurrentWrite);
  });

  it('prints a readable window', () => {
    const { events, staleRead } = staleReadHistory();
    const text = formatReport(checkHistory(events, { prefixOpsShown: 2 }));
    expect(text).toContain('linearizability: NOT LINEARIZABLE');
    expect(text).toContain('key "k": NOT LINEARIZABLE');
    expect(text).toContain(`#${staleRead} c2 read() -> ok "old" v1  [+7, +9] ms`);
    expect(text).toMatch(/earlier not shown/);
    expect(text).toContain('cannot place:');
  });

  it('reports "unknown" instead of hanging when the search exceeds its budget', () => {
    // 24 concurrent writes that may each have happened or not, all of
    // distinguishable values (each is read later), and a read no subset
    // explains: refuting it means visiting millions of states.
    const h = historyBuilder();
    for (let i = 0; i < 24; i++) h.writeTimeout(`c${i}`, i, [0, 10]);
    for (let i = 0; i < 24; i++) h.read(`r${i}`, [100, 200], { value: i });
    h.read('r', [1, 9], { value: 'never' });
    const report = checkHistory(h.events, { timeBudgetMsPerKey: 50 });
    expect(report.verdict).toBe('unknown');
    expect(onlyKey(report).reason).toMatch(/budget/);
    expect(formatReport(report)).toContain('UNKNOWN');
  });
});

describe('checkHistory: generated histories', () => {
  const generous = { timeBudgetMsPerKey: 60_000 };

  it.each([
    { name: 'with versions', reportVersions: true, seed: 1 },
    { name: 'with versions, other seed', reportVersions: true, seed: 2 },
    { name: 'without versions (values only)', reportVersions: false, seed: 3 },
  ])('accepts 5 clients x 200 ops on 3 keys with indeterminate ops, $name', ({ reportVersions, seed }) => {
    const events = generateLinearizableHistory({
      clients: 5,
      opsPerClient: 200,
      keys: 3,
      indeterminateRate: 0.05,
      seed,
      reportVersions,
    });
    const report = checkHistory(events, generous);
    expect(report.keys.map((key) => key.verdict)).toEqual(['linearizable', 'linearizable', 'linearizable']);
    expect(report.stats.operations + report.stats.dropped).toBe(1000);
    expect(report.keys.every((key) => key.indeterminate > 0)).toBe(true);
  });

  it('rejects a generated history with one read changed to a value never written', () => {
    const events = generateLinearizableHistory({
      clients: 5,
      opsPerClient: 200,
      keys: 3,
      indeterminateRate: 0.05,
      seed: 4,
    });
    const readIds = new Set(events.filter((e) => e.type === 'invoke' && e.op.f === 'read').map((e) => e.id));
    const victim = [...events]
      .reverse()
      .find(
        (e): e is CompleteEvent => e.type === 'complete' && e.status === 'ok' && readIds.has(e.id) && e.time > 500,
      )!;
    const tampered = events.map<HistoryEvent>((e) =>
      e === victim ? { ...victim, result: { found: true, value: 'forged', version: 1 } } : e,
    );

    const victimKey = (events.find((e) => e.type === 'invoke' && e.id === victim.id) as { key: string }).key;
    const report = checkHistory(tampered, generous);
    expect(report.verdict).toBe('not-linearizable');
    expect(report.keys.find((key) => key.verdict === 'not-linearizable')?.key).toBe(victimKey);
    expect(report.keys.find((key) => key.key === victimKey)?.failure?.stuck.operation.id).toBe(victim.id);
  });
});

/**
 * The obvious exponential definition, for cross-checking the search on small
 * histories: try every order of every subset of the indeterminate operations
 * plus all the definite ones that respects real time.
 */
function bruteForceLinearizable(events: readonly HistoryEvent[]): boolean {
  const operations = pairOperations(events);
  const candidates: { op: RegisterOp; invoke: number; complete: number }[] = [];
  const registerOps = toRegisterOps(operations);
  operations.forEach(({ invokeTime, completeTime }, index) => {
    const op = registerOps[index];
    if (op === undefined) return;
    candidates.push({
      op,
      invoke: invokeTime,
      complete: op.outcome === 'unknown' ? Infinity : (completeTime as number),
    });
  });
  const used = new Array<boolean>(candidates.length).fill(false);
  const search = (state: RegisterState): boolean => {
    if (candidates.every((c, i) => used[i] || c.complete === Infinity)) return true;
    return candidates.some((candidate, i) => {
      if (used[i]) return false;
      // Every operation that completed before this one was invoked must already be placed.
      if (candidates.some((other, j) => !used[j] && other.complete < candidate.invoke)) return false;
      const next = step(state, candidate.op);
      if (next === undefined) return false;
      used[i] = true;
      const found = search(next);
      used[i] = false;
      return found;
    });
  };
  return search(INITIAL_STATE);
}

/** Changes one observation of a history so it may or may not stay linearizable. */
function mutateOneResult(events: readonly HistoryEvent[], random: () => number): HistoryEvent[] {
  const invokes = new Map(events.filter((e) => e.type === 'invoke').map((e) => [e.id, e]));
  const values = [...invokes.values()].flatMap((e) => ('value' in e.op ? [e.op.value] : []));
  const definite = events.filter((e): e is CompleteEvent => e.type === 'complete' && e.status !== 'info');
  const victim = definite.length > 0 ? definite[Math.floor(random() * definite.length)] : undefined;
  if (victim === undefined) return [...events];
  const op = (invokes.get(victim.id) as { op: KvOperation }).op;
  const bump = () => (random() < 0.5 ? -1 : 1);
  let mutated: CompleteEvent;
  if (op.f === 'read') {
    const result = victim.result as { found: boolean; value?: JsonValue; version?: number };
    const value = values.length > 0 && random() < 0.7 ? values[Math.floor(random() * values.length)] : 'forged';
    mutated =
      result.found && random() < 0.4
        ? {
            ...victim,
            result: {
              ...result,
              found: true,
              value: result.value as JsonValue,
              version: (result.version ?? 1) + bump(),
            },
          }
        : {
            ...victim,
            result: { found: true, value, ...(result.version === undefined ? {} : { version: result.version }) },
          };
  } else if (victim.status === 'ok' && op.f !== 'write' && random() < 0.5) {
    mutated = { ...victim, status: 'fail', result: { code: 412 } };
  } else if (victim.status === 'fail') {
    mutated = { ...victim, status: 'ok', result: {} };
  } else {
    const version = (victim.result as { version?: number } | undefined)?.version ?? 1;
    mutated = { ...victim, result: { version: Math.max(0, version + bump()) } };
  }
  return events.map((e) => (e === victim ? mutated : e));
}

describe('checkHistory agrees with brute force on small random histories', () => {
  it('on 400 histories, about half of them tampered with', () => {
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const verdicts = { linearizable: 0, 'not-linearizable': 0 };
    for (let i = 0; i < 400; i++) {
      const generated = generateLinearizableHistory({
        clients: 3,
        opsPerClient: 3,
        keys: 1,
        indeterminateRate: 0.3,
        seed: i,
        reportVersions: i % 3 !== 0,
      });
      const events = i % 2 === 0 ? generated : mutateOneResult(generated, random);
      const expected = bruteForceLinearizable(events) ? 'linearizable' : 'not-linearizable';
      const actual = checkHistory(events).verdict;
      if (actual !== expected) throw new Error(`history ${i}: expected ${expected}, got ${actual}\n${toJsonl(events)}`);
      verdicts[expected]++;
    }
    // Both kinds must be well represented, or the comparison proves little.
    expect(verdicts.linearizable).toBeGreaterThan(100);
    expect(verdicts['not-linearizable']).toBeGreaterThan(50);
  });
});

describe('history format', () => {
  it('round-trips through JSONL', () => {
    const h = historyBuilder();
    h.write('c1', { nested: [1, 'two'] }, [0.5, 1.25], 1);
    h.cas('c2', null, 1, [2, 3], 'fail');
    expect(parseHistory(toJsonl(h.events))).toEqual(h.events);
  });

  it('rejects malformed lines with their line number', () => {
    const good = '{"type":"invoke","id":1,"client":"c","key":"k","op":{"f":"read"},"time":0}';
    expect(() =>
      parseHistory(`${good}\n{"type":"invoke","id":2,"client":"c","key":"k","op":{"f":"cas","value":1},"time":1}`),
    ).toThrow(/line 2: cas needs an integer expectVersion/);
    expect(() => parseHistory('not json')).toThrow(HistoryFormatError);
  });

  it('rejects histories that cannot be trusted', () => {
    const invoke: HistoryEvent = { type: 'invoke', id: 1, client: 'c', key: 'k', op: { f: 'read' }, time: 5 };
    expect(() =>
      pairOperations([invoke, { type: 'complete', id: 1, status: 'ok', result: { found: false }, time: 4 }]),
    ).toThrow(/before it was invoked/);
    expect(() => pairOperations([{ type: 'complete', id: 2, status: 'info', time: 4 }])).toThrow(/never invoked/);
    expect(() => pairOperations([invoke, invoke])).toThrow(/two invoke events/);
    expect(() => pairOperations([invoke, { type: 'complete', id: 1, status: 'ok', time: 6 }])).toThrow(
      /successful read needs/,
    );
  });

  it('records events through HistoryRecorder with ids and one clock', () => {
    let now = 100;
    const streamed: HistoryEvent[] = [];
    const recorder = new HistoryRecorder({ clock: () => now++, onEvent: (event) => streamed.push(event) });
    const write = recorder.invoke('c1', 'k', { f: 'write', value: 1 });
    const read = recorder.invoke('c2', 'k', { f: 'read' });
    recorder.ok(write, { version: 1 });
    recorder.info(read, 'timeout');
    expect(() => recorder.ok(write)).toThrow(/not in flight/);
    expect(recorder.events()).toEqual([
      { type: 'invoke', id: 1, client: 'c1', key: 'k', op: { f: 'write', value: 1 }, time: 100 },
      { type: 'invoke', id: 2, client: 'c2', key: 'k', op: { f: 'read' }, time: 101 },
      { type: 'complete', id: 1, status: 'ok', result: { version: 1 }, time: 102 },
      { type: 'complete', id: 2, status: 'info', error: 'timeout', time: 103 },
    ]);
    expect(streamed).toEqual(recorder.events());
    expect(checkHistory(recorder.events()).verdict).toBe('linearizable');
  });
});

describe('check-cli main', () => {
  let dir: string;
  const output = () => {
    let text = '';
    return { write: (chunk: string) => (text += chunk), text: () => text };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kv-check-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = undefined;
  });

  function run(args: (file: string) => string[], events?: readonly HistoryEvent[]) {
    const file = join(dir, 'history.jsonl');
    if (events !== undefined) writeFileSync(file, toJsonl(events));
    const stdout = output();
    const stderr = output();
    const code = main(args(file), stdout, stderr);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('exits 0 and prints the report for a linearizable history', () => {
    const h = historyBuilder();
    h.write('c1', 1, [0, 1]);
    h.read('c2', [2, 3], { value: 1 });
    const result = run((file) => [file], h.events);
    expect(result.code).toBe(0);
    expect(process.exitCode).toBe(0);
    expect(result.stdout).toContain('linearizability: linearizable');
  });

  it('exits 1 for a violation, and --json prints the raw report', () => {
    const h = historyBuilder();
    h.write('c1', 1, [0, 1]);
    h.read('c2', [2, 3], { value: 2 });
    const result = run((file) => [file, '--json', '--budget-ms', '1000'], h.events);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).verdict).toBe('not-linearizable');
  });

  it('exits 2 for usage errors and unreadable files', () => {
    expect(run(() => []).code).toBe(2);
    const missing = run((file) => [file + '.missing']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot check');
  });
});

describe('checkHistory: keys that expire (writes with ttlSeconds)', () => {
  // Times in ms; a TTL of 1 s, so the expiry is due at expiresAt (or invoke + 1000 for a lost answer).
  const ttlWrite = (
    h: ReturnType<typeof historyBuilder>,
    value: JsonValue,
    interval: Interval,
    outcome: { version: number; expiresAt: number } | 'info',
  ) =>
    outcome === 'info'
      ? h.record('c1', { f: 'write', value, ttlSeconds: 1 }, interval, 'info')
      : h.record('c1', { f: 'write', value, ttlSeconds: 1 }, interval, 'ok', outcome);

  it('accepts the key gone after its expiresAt, and gone for good, with no delete sent', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.read('c2', [500, 510], { value: 'lease', version: 1 });
    h.read('c2', [1500, 1510], 'absent');
    h.read('c3', [1600, 1610], 'absent');
    h.create('c3', 'next', [1700, 1710], 'ok');
    h.read('c2', [1800, 1810], { value: 'next', version: 3 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts a key read present well after its expiresAt (the store may be late)', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.read('c2', [5000, 5010], { value: 'lease', version: 1 });
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('accepts the expiry of a write whose answer was lost, counted from when it was sent', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 3000], 'info');
    h.read('c2', [100, 110], { value: 'lease' });
    h.read('c2', [1100, 1110], 'absent');
    expect(verdictOf(h.events)).toBe('linearizable');
  });

  it('rejects a key gone well before its expiresAt', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.read('c2', [400, 410], 'absent');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects an expired key that comes back', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.read('c2', [1500, 1510], 'absent');
    h.read('c3', [1600, 1610], { value: 'lease', version: 1 });
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects an expiry that deletes a later value (a write without a TTL makes the key permanent)', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.write('c2', 'kept', [100, 110], 2);
    h.read('c3', [1500, 1510], 'absent');
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('counts the expiry as a version: a write after it reports one more', () => {
    const h = historyBuilder();
    ttlWrite(h, 'lease', [0, 10], { version: 1, expiresAt: 1010 });
    h.read('c2', [1500, 1510], 'absent');
    h.write('c2', 'again', [1600, 1610], 2);
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });

  it('rejects expiresAt on a write without ttlSeconds', () => {
    const h = historyBuilder();
    h.record('c1', { f: 'write', value: 'x' }, [0, 1], 'ok', { version: 1, expiresAt: 1000 });
    expect(() => verdictOf(h.events)).toThrow(HistoryFormatError);
  });
});

describe('checkHistory: long polls', () => {
  it('judges a long poll as a read over its whole interval', () => {
    const h = historyBuilder();
    h.write('c1', 'a', [0, 10], 1);
    const poll = (seen: Seen, interval: Interval) =>
      h.record(
        'c2',
        { f: 'read', via: 'poll' },
        interval,
        'ok',
        seen === 'absent' ? { found: false } : { found: true, ...seen },
      );
    poll({ value: 'b', version: 2 }, [20, 1500]);
    h.write('c1', 'b', [900, 910], 2);
    expect(verdictOf(h.events)).toBe('linearizable');
    poll({ value: 'a', version: 1 }, [2000, 3000]);
    expect(verdictOf(h.events)).toBe('not-linearizable');
  });
});
