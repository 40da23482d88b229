import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { PeerConfig } from '../../config/peers';
import { CLUSTER_AUTH_SCHEME } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';

export interface PeerStatus {
  readonly id: string;
  readonly url: string;
  readonly reachable: boolean;
  /** Whether the peer's acceptor votes (false while it catches up after a disk loss). */
  readonly voting: boolean;
  /** The peer is stopping (Departure): it still votes, but no key should be sent to it to propose. */
  readonly leaving: boolean;
  readonly lastRoundTripMs?: number;
  /** ms since epoch of the last answer; undefined when it never answered. */
  readonly lastSeenAt?: number;
  readonly lastError?: string;
}

const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 500;
/** Three missed probes and a peer counts as unreachable. */
const STALE_AFTER_MS = 3 * PROBE_INTERVAL_MS;

/**
 * What this node believes about its peers, refreshed in the background so that
 * readers (health endpoints, key routing) never wait on the network and probes
 * never pile up: at most one probe per peer is in flight.
 */
@Injectable()
export class PeerHealthMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PeerHealth');
  private readonly statuses = new Map<string, PeerStatus>();
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpService,
  ) {
    for (const peer of config.peers)
      this.statuses.set(peer.id, { id: peer.id, url: peer.url, reachable: false, voting: false, leaving: false });
  }

  onApplicationBootstrap(): void {
    if (this.config.peers.length === 0) return;
    this.probeAll();
    this.timer = setInterval(() => this.probeAll(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  peers(): PeerStatus[] {
    const now = Date.now();
    return [...this.statuses.values()].map((status) =>
      status.reachable && (status.lastSeenAt === undefined || now - status.lastSeenAt > STALE_AFTER_MS)
        ? { ...status, reachable: false, lastError: status.lastError ?? 'no answer for three probes' }
        : status,
    );
  }

  /**
   * A request to the peer failed: believe it unreachable now rather than at the
   * next probes, so routing stops sending it work. The next good probe restores it.
   */
  reportFailure(peerId: string, error: Error): void {
    const status = this.statuses.get(peerId);
    if (!status?.reachable) return;
    this.logger.warn(`peer ${peerId} failed a request (${error.message}); routing around it until it answers a probe`);
    this.statuses.set(peerId, { ...status, reachable: false, voting: false, lastError: error.message });
  }

  /** The peer said it is stopping: route around it now. Its next probe answer says it again, or that it is back. */
  markLeaving(peerId: string): void {
    const status = this.statuses.get(peerId);
    if (!status || status.leaving) return;
    this.logger.log(`peer ${peerId} is leaving; routing around it`);
    this.statuses.set(peerId, { ...status, leaving: true });
  }

  isReachable(peerId: string): boolean {
    return this.peers().some((peer) => peer.id === peerId && peer.reachable);
  }

  private probeAll(): void {
    for (const peer of this.config.peers) {
      if (this.inFlight.has(peer.id)) continue;
      this.inFlight.add(peer.id);
      void this.probe(peer).finally(() => this.inFlight.delete(peer.id));
    }
  }

  private async probe(peer: PeerConfig): Promise<void> {
    const started = performance.now();
    const previous = this.statuses.get(peer.id)!;
    try {
      const response = await this.http.axiosRef.post<{ voting?: unknown; leaving?: unknown }>(
        `${peer.url}/${PEER_API_PREFIX}/ping`,
        {},
        {
          headers: { authorization: `${CLUSTER_AUTH_SCHEME} ${this.config.clusterSecret}` },
          timeout: PROBE_TIMEOUT_MS,
        },
      );
      if (!previous.reachable) this.logger.log(`peer ${peer.id} is reachable`);
      this.statuses.set(peer.id, {
        id: peer.id,
        url: peer.url,
        reachable: true,
        voting: response.data?.voting === true,
        leaving: response.data?.leaving === true,
        lastRoundTripMs: Math.round((performance.now() - started) * 10) / 10,
        lastSeenAt: Date.now(),
      });
    } catch (error) {
      if (previous.reachable) this.logger.warn(`peer ${peer.id} is unreachable: ${(error as Error).message}`);
      this.statuses.set(peer.id, { ...previous, reachable: false, voting: false, lastError: (error as Error).message });
    }
  }
}
