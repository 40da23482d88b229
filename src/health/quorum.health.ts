import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AcceptorGate } from '../replication/recovery/acceptor-gate';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';

/**
 * Whether this node can serve quorum operations: a majority of the cluster's
 * acceptors (this node's own included, while it votes) are reachable and
 * voting. Computed from beliefs kept fresh in the background, so it costs
 * nothing to ask every second.
 */
@Injectable()
export class QuorumHealthIndicator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly indicators: HealthIndicatorService,
    private readonly peers: PeerHealthMonitor,
    private readonly gate: AcceptorGate,
  ) {}

  check<const Key extends string>(key: Key) {
    const size = this.config.peers.length + 1;
    const needed = Math.floor(size / 2) + 1;
    const peers = this.peers.peers();
    const votingPeers = peers.filter((peer) => peer.reachable && peer.voting).map((peer) => peer.id);
    const voters = votingPeers.length + (this.gate.isVoting ? 1 : 0);
    const details = {
      clusterSize: size,
      needed,
      voting: voters,
      thisNodeVotes: this.gate.isVoting,
      unreachable: peers.filter((peer) => !peer.reachable).map((peer) => peer.id),
    };
    const session = this.indicators.check(key);
    return voters >= needed ? session.up(details) : session.down(details);
  }
}
