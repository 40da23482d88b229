/**
 * Decides whether a recorded history of the key-value store is linearizable.
 *
 * Linearizability is compositional (Herlihy & Wing): a history is
 * linearizable iff the sub-history of every object is. Keys are independent
 * registers in this store, so each key is searched on its own, which turns
 * one search exponential in the whole history into many small ones.
 *
 *   const report = checkHistory(parseHistory(jsonl), { timeBudgetMsPerKey: 5000 });
 *   if (report.verdict !== 'linearizable') console.log(formatReport(report));
 */
import { type HistoryEvent, type Operation, pairOperations } from './history';
import { type RegisterOp, type RegisterState, explainRejection, step, toRegisterOps } from './model';
import { EXPIRY, type SearchOp, searchLinearization } from './linearize';

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface CheckOptions {
  /** Wall-clock budget for each key's search; past it the key is "unknown". Default 10 s. */
  readonly timeBudgetMsPerKey?: number;
  /** Failure reports show at most this many operations of the linearized prefix. Default 6. */
  readonly prefixOpsShown?: number;
}

export interface RegisterStateView {
  readonly present: boolean;
  readonly value: RegisterState['value'];
  readonly version: number;
}

/** An operation that could not be placed, and why not in the state the search had reached. */
export interface UnplacedOperation {
  readonly operation: Operation;
  /** Whether the model accepts the operation in that state (then the dead end lies further on). */
  readonly applicable: boolean;
  /** Why the model rejects it there; absent when applicable. */
  readonly rejection?: string;
  readonly indeterminate: boolean;
}

/**
 * The smallest useful window on a violation: the search placed a prefix of
 * the key's operations in a valid order (the longest it reached), and then an
 * operation completed that could not be placed, whatever order the operations
 * still pending at that time were tried in.
 */
export interface FailureWindow {
  /** Ids of the whole linearized prefix, in order (EXPIRY where the store expired the value). */
  readonly prefixIds: readonly number[];
  /** The last operations of that prefix (the ones that shaped `stateAfterPrefix`). */
  readonly prefixTail: readonly Operation[];
  readonly stateAfterPrefix: RegisterStateView;
  /** The operation whose completion could not be explained. */
  readonly stuck: UnplacedOperation;
  /** The other operations that were in flight at that point and were tried before it. */
  readonly concurrent: readonly UnplacedOperation[];
}

export interface KeyReport {
  readonly key: string;
  readonly verdict: Verdict;
  /** Operations that entered the search (excludes dropped ones). */
  readonly operations: number;
  readonly indeterminate: number;
  /** Operations that constrain nothing (indeterminate or failed reads, failed unconditional writes). */
  readonly dropped: number;
  readonly statesExplored: number;
  readonly elapsedMs: number;
  /**
   * Present when linearizable: a witness order of operation ids (indeterminate ones only if they took
   * effect), with EXPIRY (-1) where the store expired the value.
   */
  readonly linearization?: readonly number[];
  /** Present when not linearizable. */
  readonly failure?: FailureWindow;
  /** Present when unknown. */
  readonly reason?: string;
}

export interface CheckReport {
  /** not-linearizable if any key is; else unknown if any key is; else linearizable. */
  readonly verdict: Verdict;
  readonly keys: readonly KeyReport[];
  readonly stats: {
    readonly operations: number;
    readonly dropped: number;
    readonly keys: number;
    readonly elapsedMs: number;
    /** The store's expiries (model.ts) in the witness orders of the linearizable keys. */
    readonly expiries: number;
    /** Earliest event time, so reports can show times relative to the start of the run. */
    readonly startTime: number;
  };
}

const DEFAULT_TIME_BUDGET_MS = 10_000;
const DEFAULT_PREFIX_OPS_SHOWN = 6;

export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions = {}): CheckReport {
  const started = performance.now();
  const operations = pairOperations(events);
  const keys = groupByKey(operations);
  const reports = [...keys.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, keyOperations]) => checkKey(key, keyOperations, options));
  return {
    verdict: overallVerdict(reports),
    keys: reports,
    stats: {
      operations: sum(reports.map((report) => report.operations)),
      dropped: sum(reports.map((report) => report.dropped)),
      keys: reports.length,
      elapsedMs: performance.now() - started,
      expiries: sum(reports.map((report) => report.linearization?.filter((id) => id === EXPIRY).length ?? 0)),
      startTime: events.reduce((earliest, event) => Math.min(earliest, event.time), events.length === 0 ? 0 : Infinity),
    },
  };
}

/** Checks the operations of a single key (all must have that key). */
export function checkKey(key: string, operations: readonly Operation[], options: CheckOptions = {}): KeyReport {
  const started = performance.now();
  const budget = options.timeBudgetMsPerKey ?? DEFAULT_TIME_BUDGET_MS;

  const checked: { operation: Operation; registerOp: RegisterOp }[] = [];
  const registerOps = toRegisterOps(operations);
  operations.forEach((operation, index) => {
    const registerOp = registerOps[index];
    if (registerOp !== undefined) checked.push({ operation, registerOp });
  });
  const searchOps: SearchOp[] = checked.map(({ operation, registerOp }) => ({
    invokeTime: operation.invokeTime,
    completeTime: registerOp.outcome === 'unknown' ? Infinity : (operation.completeTime as number),
    registerOp,
  }));

  const outcome = searchLinearization(searchOps, { deadline: started + budget });
  const common = {
    key,
    operations: checked.length,
    indeterminate: searchOps.filter((op) => op.completeTime === Infinity).length,
    dropped: operations.length - checked.length,
    statesExplored: outcome.statesExplored,
  };
  const elapsedMs = () => performance.now() - started;
  // The search answers with indexes into searchOps, which maps `checked` one to one.
  const checkedAt = (index: number) => {
    const entry = checked[index];
    if (entry === undefined) throw new Error(`search returned index ${index} of ${checked.length} operations`);
    return entry;
  };
  // An expiry is the store's own step, not an operation: EXPIRY stands for it among the ids.
  const idAt = (index: number) => (index === EXPIRY ? EXPIRY : checkedAt(index).operation.id);

  switch (outcome.kind) {
    case 'linearizable':
      return {
        ...common,
        verdict: 'linearizable',
        elapsedMs: elapsedMs(),
        linearization: outcome.order.map(idAt),
      };
    case 'timeout':
      return {
        ...common,
        verdict: 'unknown',
        elapsedMs: elapsedMs(),
        reason: `search exceeded its ${budget} ms budget after ${outcome.statesExplored} states`,
      };
    case 'not-linearizable': {
      const { deepest } = outcome;
      const state = deepest.stateAfterPrefix;
      const unplaced = (index: number): UnplacedOperation => {
        const { operation, registerOp } = checkedAt(index);
        const indeterminate = registerOp.outcome === 'unknown';
        return step(state, registerOp) === undefined
          ? { operation, applicable: false, rejection: explainRejection(state, registerOp), indeterminate }
          : { operation, applicable: true, indeterminate };
      };
      const shown = options.prefixOpsShown ?? DEFAULT_PREFIX_OPS_SHOWN;
      return {
        ...common,
        verdict: 'not-linearizable',
        elapsedMs: elapsedMs(),
        failure: {
          prefixIds: deepest.prefix.map(idAt),
          prefixTail: deepest.prefix
            .slice(Math.max(0, deepest.prefix.length - shown))
            .filter((index) => index !== EXPIRY)
            .map((index) => checkedAt(index).operation),
          stateAfterPrefix: { present: state.present, value: state.value, version: state.version },
          stuck: unplaced(deepest.stuck),
          concurrent: deepest.pending.filter((index) => index !== deepest.stuck).map(unplaced),
        },
      };
    }
  }
}

function groupByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const operation of operations) {
    const list = byKey.get(operation.key);
    if (list === undefined) byKey.set(operation.key, [operation]);
    else list.push(operation);
  }
  return byKey;
}

function overallVerdict(reports: readonly KeyReport[]): Verdict {
  if (reports.some((report) => report.verdict === 'not-linearizable')) return 'not-linearizable';
  if (reports.some((report) => report.verdict === 'unknown')) return 'unknown';
  return 'linearizable';
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
