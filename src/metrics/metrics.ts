import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Requests per statement or frame: powers of two up to the coalescers' largest batch (2000). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

/**
 * This node's metrics registry, and the replication core's metrics (which
 * PrometheusReplicationObserver feeds). The HTTP metrics (HttpMetrics) and the
 * state gauges (ClusterGauges) are defined beside the code that fills them.
 *
 * One registry of its own (not prom-client's
 * global one, so that several apps in one process, as in the tests, never share
 * or clash). Names follow Prometheus conventions: the `kv_` prefix, base units
 * (`_seconds`), `_total` on counters. The process and Node.js runtime metrics
 * (`process_*`, `nodejs_*`: CPU, memory, heap, event-loop lag, GC) keep their
 * standard names, which dashboards and alerts everywhere expect.
 *
 */
export class Metrics {
  readonly registry = new Registry();

  readonly quorumRounds = new Counter({
    name: 'kv_quorum_rounds_total',
    help: "Rounds run by this node's proposer, by how they ended: one_rtt (chosen with a cached ballot), full_round (chosen after a prepare), no_quorum (not applied), outcome_unknown (may have been applied).",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly quorumRetries = new Counter({
    name: 'kv_quorum_retries_total',
    help: "Rounds run again by this node's proposer, by reason: conflict (a prepare met a higher promise), rejected (every acceptor rejected the accept), unchanged, excluded (an ambiguous accept proved not chosen), unreachable (too few acceptors answered a prepare).",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly readPeeks = new Counter({
    name: 'kv_read_peeks_total',
    help: 'Linearizable reads by their first step: agreed (a majority agreed, one round trip) or disagreed (a full round followed).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly statementBatchSize = new Histogram({
    name: 'kv_acceptor_statement_batch_size',
    help: "Requests carried by each statement on this node's acceptor store (group commit), by kind.",
    labelNames: ['kind'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  readonly peerCallBatchSize = new Histogram({
    name: 'kv_peer_frame_batch_size',
    help: "Requests carried by each frame this node sends a peer on the peer channel, by kind: acceptor calls of its proposer (prepare, accept, peek), operations forwarded to the key's proposer (forwarded_ops).",
    labelNames: ['kind'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  /** One frame of operations forwarded to a peer (storage/forwarding) carried `size` of them. */
  readonly forwardedOpsBatched: (size: number) => void;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const forwarded = this.peerCallBatchSize.labels('forwarded_ops');
    this.forwardedOpsBatched = (size) => forwarded.observe(size);
  }
}
