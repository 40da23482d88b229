import { Injectable } from '@nestjs/common';
import {
  AcceptorCallKind,
  ReplicationObserver,
  RetryReason,
  RoundOutcome,
} from '../replication/core/replication-observer';
import { Metrics } from './metrics';

type Inc = { inc(): void };
type Observe = { observe(value: number): void };

/**
 * The replication core's observer, as Prometheus counters and histograms.
 * Each label value's child is looked up once here, so a call on the request
 * path is one increment, with no label hashing.
 */
@Injectable()
export class PrometheusReplicationObserver extends ReplicationObserver {
  private readonly rounds: Record<RoundOutcome, Inc>;
  private readonly retries: Record<RetryReason, Inc>;
  private readonly peeks: { agreed: Inc; disagreed: Inc };
  private readonly statements: Record<AcceptorCallKind, Observe>;
  private readonly frames: Record<AcceptorCallKind, Observe>;

  constructor(metrics: Metrics) {
    super();
    const round = (outcome: RoundOutcome) => metrics.quorumRounds.labels(outcome);
    this.rounds = {
      one_rtt: round('one_rtt'),
      full_round: round('full_round'),
      no_quorum: round('no_quorum'),
      outcome_unknown: round('outcome_unknown'),
    };
    const retry = (reason: RetryReason) => metrics.quorumRetries.labels(reason);
    this.retries = {
      conflict: retry('conflict'),
      rejected: retry('rejected'),
      unchanged: retry('unchanged'),
      excluded: retry('excluded'),
      unreachable: retry('unreachable'),
    };
    this.peeks = { agreed: metrics.readPeeks.labels('agreed'), disagreed: metrics.readPeeks.labels('disagreed') };
    const byKind = (histogram: Metrics['statementBatchSize']): Record<AcceptorCallKind, Observe> => ({
      prepare: histogram.labels('prepare'),
      accept: histogram.labels('accept'),
      peek: histogram.labels('peek'),
    });
    this.statements = byKind(metrics.statementBatchSize);
    this.frames = byKind(metrics.peerCallBatchSize);
  }

  roundEnded(outcome: RoundOutcome): void {
    this.rounds[outcome].inc();
  }

  roundRetried(reason: RetryReason): void {
    this.retries[reason].inc();
  }

  readPeeked(agreed: boolean): void {
    (agreed ? this.peeks.agreed : this.peeks.disagreed).inc();
  }

  statementBatched(kind: AcceptorCallKind, size: number): void {
    this.statements[kind].observe(size);
  }

  peerCallBatched(kind: AcceptorCallKind, size: number): void {
    this.frames[kind].observe(size);
  }
}
