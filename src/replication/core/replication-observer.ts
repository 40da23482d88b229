/**
 * How a round on the proposer ended, once per logical round (one or more
 * combined changes to one key):
 * - `one_rtt`: chosen through a cached next ballot (accept only, one round trip);
 * - `full_round`: chosen after a prepare (or after outcome resolution proved it chosen);
 * - `no_quorum`: QUORUM_UNREACHABLE, definitely not applied;
 * - `outcome_unknown`: OUTCOME_UNKNOWN, may have been applied.
 */
export type RoundOutcome = 'one_rtt' | 'full_round' | 'no_quorum' | 'outcome_unknown';

/**
 * Why a round ran its changes again:
 * - `conflict`: a prepare met a higher promise;
 * - `rejected`: every acceptor explicitly rejected the accept;
 * - `unchanged`: an ambiguous accept that only wrote back what it found;
 * - `excluded`: outcome resolution proved the ambiguous accept can never be chosen;
 * - `unreachable`: too few acceptors answered the prepare at all.
 */
export type RetryReason = 'conflict' | 'rejected' | 'unchanged' | 'excluded' | 'unreachable';

export type AcceptorCallKind = 'prepare' | 'accept' | 'peek';

/**
 * What the replication core reports for monitoring. The core only calls it;
 * what is made of the calls (counters, histograms) is decided outside, so the
 * core stays free of any metrics library. Every method must be cheap and must
 * not throw: they run on the path of every operation.
 */
export abstract class ReplicationObserver {
  abstract roundEnded(outcome: RoundOutcome): void;
  abstract roundRetried(reason: RetryReason): void;
  /** A linearizable read's peek: a majority agreed at once (`true`), or a full round follows (`false`). */
  abstract readPeeked(agreed: boolean): void;
  /** One statement on this node's acceptor store carried `size` requests. */
  abstract statementBatched(kind: AcceptorCallKind, size: number): void;
  /** One call (one frame) to a peer's acceptor carried `size` requests. */
  abstract peerCallBatched(kind: AcceptorCallKind, size: number): void;
}

/** The observer of a core nobody watches (tests, tools). */
export const UNOBSERVED: ReplicationObserver = {
  roundEnded: () => undefined,
  roundRetried: () => undefined,
  readPeeked: () => undefined,
  statementBatched: () => undefined,
  peerCallBatched: () => undefined,
};
