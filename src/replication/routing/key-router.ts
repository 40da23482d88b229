import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { PeerHealthMonitor } from './peer-health.monitor';

/**
 * Picks the node that should propose for a key: rendezvous (highest random
 * weight) hashing over this node and the peers it believes reachable. Every
 * node computes the same answer from the same beliefs, so a key's changes keep
 * going through one proposer, whose one-round-trip cache then pays off; when
 * that node is down, its keys spread evenly over the others.
 *
 * Only a performance hint: any node may propose for any key, and beliefs that
 * differ between nodes cost speed, never correctness.
 */
@Injectable()
export class KeyRouter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: PeerHealthMonitor,
  ) {}

  /** The node id to propose for `key`: this node's own id when it should do it itself. */
  preferredNode(key: string): string {
    if (this.config.peers.length === 0) return this.config.nodeId;
    let best = this.config.nodeId;
    let bestWeight = weight(this.config.nodeId, key);
    for (const peer of this.health.peers()) {
      if (!peer.reachable) continue;
      const candidate = weight(peer.id, key);
      if (candidate > bestWeight || (candidate === bestWeight && peer.id > best)) {
        best = peer.id;
        bestWeight = candidate;
      }
    }
    return best;
  }
}

function weight(nodeId: string, key: string): bigint {
  return createHash('sha1').update(nodeId).update('\u0000').update(key).digest().readBigUInt64BE(0);
}
