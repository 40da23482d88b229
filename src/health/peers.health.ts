import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';

/**
 * Each peer's reachability and last round-trip time, for operators. Always
 * "up": an unreachable minority is normal operation; the quorum indicator
 * says whether it matters.
 */
@Injectable()
export class PeersHealthIndicator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: PeerHealthMonitor,
  ) {}

  check<const Key extends string>(key: Key) {
    const now = Date.now();
    const peers = Object.fromEntries(
      this.monitor.peers().map((peer) => [
        peer.id,
        {
          url: peer.url,
          reachable: peer.reachable,
          voting: peer.voting,
          ...(peer.leaving ? { leaving: true } : {}),
          lastRoundTripMs: peer.lastRoundTripMs ?? null,
          lastSeenMsAgo: peer.lastSeenAt === undefined ? null : now - peer.lastSeenAt,
          ...(peer.reachable ? {} : { lastError: peer.lastError ?? null }),
        },
      ]),
    );
    return this.indicators.check(key).up({ nodeId: this.config.nodeId, peers });
  }
}
