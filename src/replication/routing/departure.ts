import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { CLUSTER_AUTH_SCHEME } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';

/** How long a leaving node waits for its peers to take note; a peer that misses it learns from its next probe. */
const ANNOUNCE_TIMEOUT_MS = 500;

/**
 * A node that is about to stop first stops being any key's preferred
 * proposer. Otherwise its peers go on forwarding writes to it up to the
 * moment it closes, and a write that reaches it just then has an unknown
 * outcome: every node restart of a rolling update would hand clients 503s.
 *
 * `leave()` marks this node as leaving (its routing sends its own keys to the
 * others, its readiness turns 503 so balancers move on) and tells every peer
 * at once, so they route around it too; the ping it answers says so as well,
 * for a peer that missed the message. The node itself goes on serving, as
 * acceptor and for requests already on their way, until its drain period is
 * over (main.ts).
 */
@Injectable()
export class Departure {
  private readonly logger = new Logger('Departure');
  private leavingSince?: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpService,
  ) {}

  get leaving(): boolean {
    return this.leavingSince !== undefined;
  }

  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leavingSince = Date.now();
    const told = await Promise.allSettled(this.config.peers.map((peer) => this.tell(peer.url)));
    const missed = told.filter((result) => result.status === 'rejected').length;
    this.logger.log(
      `leaving: told ${told.length - missed} of ${told.length} peers to route around this node` +
        (missed > 0 ? ' (the others learn from their next probe)' : ''),
    );
  }

  private async tell(peerUrl: string): Promise<void> {
    await this.http.axiosRef.post(
      `${peerUrl}/${PEER_API_PREFIX}/leaving`,
      { node: this.config.nodeId },
      {
        headers: { authorization: `${CLUSTER_AUTH_SCHEME} ${this.config.clusterSecret}` },
        timeout: ANNOUNCE_TIMEOUT_MS,
      },
    );
  }
}
