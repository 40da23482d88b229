import { Inject, Injectable } from '@nestjs/common';
import { fmix32 } from '../../common/mix32';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Departure } from './departure';
import { PeerHealthMonitor } from './peer-health.monitor';

/**
 * Picks the node that should propose for a key: rendezvous (highest random
 * weight) hashing over this node and the peers it believes reachable. Every
 * node computes the same answer from the same beliefs, so a key's changes keep
 * going through one proposer, whose one-round-trip cache then pays off; when
 * that node is down, its keys spread evenly over the others.
 *
 * A node that is leaving (Departure) is nobody's choice, its own included:
 * its keys go to the others before it stops.
 *
 * Only a performance hint: any node may propose for any key, and beliefs that
 * differ between nodes cost speed, never correctness.
 */
@Injectable()
export class KeyRouter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: PeerHealthMonitor,
    private readonly departure: Departure,
  ) {}

  /** The node id to propose for `key`: this node's own id when it should do it itself. */
  preferredNode(key: string): string {
    if (this.config.peers.length === 0) return this.config.nodeId;
    // On every request's path: no arrays built, just the highest weight kept.
    let choice: RendezvousChoice | undefined = this.departure.leaving
      ? undefined
      : new RendezvousChoice(key, this.config.nodeId);
    for (const peer of this.health.peers()) {
      if (!peer.reachable || peer.leaving) continue;
      if (choice) choice.consider(peer.id);
      else choice = new RendezvousChoice(key, peer.id);
    }
    // Leaving, with no peer to hand the key to: better to propose than to fail.
    return choice?.best ?? this.config.nodeId;
  }
}

/** The node of `nodeIds` (at least one) with the highest weight for `key`: what every node agrees on. */
export function rendezvousChoice(key: string, nodeIds: readonly string[]): string {
  const choice = new RendezvousChoice(key, nodeIds[0]!);
  for (let i = 1; i < nodeIds.length; i++) choice.consider(nodeIds[i]!);
  return choice.best;
}

/** The highest-weight node seen so far for one key; ties go to the greater node id. */
class RendezvousChoice {
  best: string;
  private bestWeight: number;

  constructor(
    private readonly key: string,
    first: string,
  ) {
    this.best = first;
    this.bestWeight = weight(first, key);
  }

  consider(id: string): void {
    const candidate = weight(id, this.key);
    if (candidate > this.bestWeight || (candidate === this.bestWeight && id > this.best)) {
      this.best = id;
      this.bestWeight = candidate;
    }
  }
}

/**
 * A well-mixed 32-bit weight of (node, key): FNV-1a over both, then
 * MurmurHash3's finaliser for avalanche. Routing needs spread and agreement
 * between nodes, not secrecy: a cryptographic hash here cost more than the
 * rest of routing a request. Ties are broken by node id.
 */
function weight(nodeId: string, key: string): number {
  let hash = fnv1a(FNV_OFFSET, nodeId);
  hash = Math.imul(hash, FNV_PRIME) >>> 0; // a separator, so ("n1", "0x") and ("n10", "x") differ
  return fmix32(fnv1a(hash, key));
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(seed: number, text: string): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}
