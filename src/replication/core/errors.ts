import type { DomainError } from '../../common/domain-error';

/**
 * Domain errors of the replication core. They carry a code and the facts a
 * caller needs to answer honestly (HTTP mapping happens once, elsewhere):
 *
 * - QUORUM_UNREACHABLE: the change was definitely NOT applied. Every accept
 *   we sent was explicitly rejected by every acceptor, or wrote back the
 *   state unchanged, or was proven never to be chosen (outcome resolution
 *   saw a state without it chosen), or none was sent at all. Safe for a
 *   client to retry.
 * - OUTCOME_UNKNOWN: an accept that changes the state may have been stored
 *   somewhere (a timeout, a missing reply, a partial majority) and outcome
 *   resolution could not decide by the deadline: no majority answered it, or
 *   another proposer's newer write may or may not have been built on ours.
 *   The change may or may not take effect; re-running it blindly could apply
 *   it twice.
 */
export type ReplicationErrorCode = 'QUORUM_UNREACHABLE' | 'OUTCOME_UNKNOWN';

export class ReplicationError extends Error implements DomainError {
  override readonly name = 'ReplicationError';
  readonly kind = 'unavailable';
  /** True exactly when the code is OUTCOME_UNKNOWN; spelled out so callers need not know the codes. */
  readonly mayHaveTakenEffect: boolean;

  constructor(
    readonly code: ReplicationErrorCode,
    message: string,
    /** Node ids that did not answer (call failed or timed out) in the phase that decided the failure. */
    readonly unreachable: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.mayHaveTakenEffect = code === 'OUTCOME_UNKNOWN';
  }

  /** What a client needs to decide whether to retry: who did not answer, and whether the write may have happened. */
  get clientDetails(): Record<string, unknown> {
    return { unreachablePeers: [...this.unreachable], mayHaveTakenEffect: this.mayHaveTakenEffect };
  }

  static quorumUnreachable(reason: string, unreachable: readonly string[]): ReplicationError {
    return new ReplicationError('QUORUM_UNREACHABLE', withPeers(reason, unreachable), unreachable);
  }

  static outcomeUnknown(reason: string, unreachable: readonly string[]): ReplicationError {
    return new ReplicationError('OUTCOME_UNKNOWN', withPeers(reason, unreachable), unreachable);
  }
}

export function isReplicationError(error: unknown, code?: ReplicationErrorCode): error is ReplicationError {
  return error instanceof ReplicationError && (code === undefined || error.code === code);
}

function withPeers(reason: string, unreachable: readonly string[]): string {
  return unreachable.length === 0 ? reason : `${reason} (unreachable: ${unreachable.join(', ')})`;
}
