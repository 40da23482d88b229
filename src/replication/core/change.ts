import { RegisterContent, RegisterState, followsVersionRule } from './register';

/**
 * A change to one register: given the current state, the new state and what
 * to tell the caller. It must be pure and must not throw: a change that wants
 * to report a failure (say, a compare-and-set whose precondition does not
 * hold) returns the current state unchanged and a result describing the
 * failure. The proposer still runs the accept phase with that state, because
 * the current state it was shown may not be chosen yet.
 *
 * It must also follow the version rule: return the state unchanged, or raise
 * its version (see RegisterContent.version). The proposer's outcome resolution
 * depends on it, so a change that breaks it is treated like one that throws.
 * It returns content only: the proposer stamps the lineage (see proposedState).
 */
export type ChangeFn<R> = (current: RegisterState) => ChangeOutcome<R>;

export interface ChangeOutcome<R> {
  readonly state: RegisterContent;
  readonly result: R;
}

/** The read-as-a-round change: writes back what it found. */
export const IDENTITY: ChangeFn<RegisterState> = (current) => ({ state: current, result: current });

/**
 * One caller's change waiting for (or riding in) a round. Several of them are
 * combined into one round by applying them in order; each remembers its own
 * result from the state it saw.
 *
 * If a change function throws or breaks the version rule (a bug), that
 * caller gets an error and its change is skipped; the others in the round are
 * unaffected. A round is re-run (and its changes applied again) only when its
 * earlier attempt provably did not take effect, so the outcome of the last
 * application is the one that counts.
 */
export interface QueuedChange {
  readonly deadlineMs: number;
  /** Whether the last application threw. */
  readonly threw: boolean;
  applyTo(current: RegisterState): RegisterState;
  succeed(): void;
  fail(error: unknown): void;
}

export class PendingChange<R> implements QueuedChange {
  private outcome: { kind: 'none' } | { kind: 'result'; result: R } | { kind: 'threw'; error: unknown } = {
    kind: 'none',
  };

  constructor(
    private readonly fn: ChangeFn<R>,
    readonly deadlineMs: number,
    private readonly resolve: (result: R) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  applyTo(current: RegisterState): RegisterState {
    try {
      const { state, result } = this.fn(current);
      if (!followsVersionRule(current, state)) {
        throw new VersionRuleError(
          `a change must leave the state as it was or raise its version (was ${current.version}, got ${state.version})`,
        );
      }
      this.outcome = { kind: 'result', result };
      // Until the round stamps its own id (proposedState), new content carries the lineage it was built on.
      return state.version === current.version ? current : { ...state, lineage: current.lineage };
    } catch (error) {
      this.outcome = { kind: 'threw', error };
      return current;
    }
  }

  get threw(): boolean {
    return this.outcome.kind === 'threw';
  }

  /** The round's value was chosen: hand out this caller's own result. */
  succeed(): void {
    switch (this.outcome.kind) {
      case 'result':
        return this.resolve(this.outcome.result);
      case 'threw':
        return this.reject(this.outcome.error);
      case 'none':
        return this.reject(new Error('internal: round succeeded without applying the change'));
    }
  }

  /** The round failed; a change that threw still reports its own error, since it changed nothing. */
  fail(error: unknown): void {
    if (this.outcome.kind === 'threw') return this.reject(this.outcome.error);
    this.reject(error);
  }
}

/** A change function returned a state that breaks the register's version rule. */
export class VersionRuleError extends Error {
  override readonly name = 'VersionRuleError';
}

/**
 * Applies every change in order to `current`; a combined round's single
 * change function. `onNewVersion` sees each state along the way that raised
 * the version (the change feed publishes every one of them, not just the last).
 */
export function applyInOrder(
  changes: readonly QueuedChange[],
  current: RegisterState,
  onNewVersion?: (state: RegisterState) => void,
): RegisterState {
  return changes.reduce((state, change) => {
    const next = change.applyTo(state);
    if (next.version !== state.version) onNewVersion?.(next);
    return next;
  }, current);
}
