import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AcceptorGate } from '../replication/recovery/acceptor-gate';
import { CatchUpPhase, CatchUpService } from '../replication/recovery/catch-up.service';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';
import { Metrics } from './metrics';

const CATCH_UP_PHASES: readonly CatchUpPhase[] = ['starting', 'waiting', 'copying', 'done'];

/**
 * Gauges of state kept elsewhere (peer beliefs, the acceptor gate, the
 * catch-up, the database pool), read in their collect() callbacks: they cost
 * nothing until Prometheus scrapes, and are never stale when it does.
 */
@Injectable()
export class ClusterGauges {
  constructor(metrics: Metrics, peers: PeerHealthMonitor, gate: AcceptorGate, catchUp: CatchUpService, db: DataSource) {
    const registers = [metrics.registry];

    new Gauge({
      name: 'kv_peer_up',
      help: "1 while the peer answers this node's probes (every second; unreachable after three missed), else 0.",
      labelNames: ['peer'] as const,
      registers,
      collect() {
        for (const peer of peers.peers()) this.set({ peer: peer.id }, peer.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kv_peer_voting',
      help: '1 while the peer answers probes and its acceptor votes (0 while it catches up), else 0.',
      labelNames: ['peer'] as const,
      registers,
      collect() {
        for (const peer of peers.peers()) this.set({ peer: peer.id }, peer.reachable && peer.voting ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kv_peer_round_trip_seconds',
      help: 'Round-trip time of the last probe the peer answered (absent until it first answers).',
      labelNames: ['peer'] as const,
      registers,
      collect() {
        for (const peer of peers.peers())
          if (peer.lastRoundTripMs !== undefined) this.set({ peer: peer.id }, peer.lastRoundTripMs / 1000);
      },
    });
    new Gauge({
      name: 'kv_acceptor_voting',
      help: "1 once this node's acceptor votes, 0 while it has not caught up.",
      registers,
      collect() {
        this.set(gate.isVoting ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kv_catch_up_state',
      help: "This node's catch-up: 1 for the phase it is in (starting, waiting, copying, done), 0 for the others.",
      labelNames: ['state'] as const,
      registers,
      collect() {
        const { phase } = catchUp.progress;
        for (const state of CATCH_UP_PHASES) this.set({ state }, state === phase ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kv_catch_up_registers_copied',
      help: 'Registers copied from the peers by the current (or last) catch-up attempt.',
      registers,
      collect() {
        this.set(catchUp.progress.registersCopied);
      },
    });

    // TypeORM keeps the pg Pool it opened as the driver's `master` (no replication configured).
    const pool = (): Pool | undefined => (db.driver as unknown as { master?: Pool }).master;
    new Gauge({
      name: 'kv_db_pool_connections',
      help: 'Connections of the database pool, by state: in_use (lent out) or idle.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const current = pool();
        if (current === undefined) return;
        this.set({ state: 'in_use' }, current.totalCount - current.idleCount);
        this.set({ state: 'idle' }, current.idleCount);
      },
    });
    new Gauge({
      name: 'kv_db_pool_waiting_requests',
      help: 'Queries waiting for a free connection of the database pool.',
      registers,
      collect() {
        const current = pool();
        if (current !== undefined) this.set(current.waitingCount);
      },
    });
    new Gauge({
      name: 'kv_db_pool_max_connections',
      help: 'Largest size of the database pool (DATABASE_POOL_SIZE).',
      registers,
      collect() {
        const max = pool()?.options.max;
        if (max !== undefined) this.set(max);
      },
    });
  }
}
