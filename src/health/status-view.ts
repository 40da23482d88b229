import { HealthCheckResult } from '@nestjs/terminus';
import type { RequestRatesPerSecond } from '../metrics/request-rates';
import type { HealthAnswer } from './health-checks';

/** One node as the status page lists it. null: not known from here. */
export interface NodeRow {
  readonly id: string;
  /** The address this node reaches it at; null for this node itself. */
  readonly url: string | null;
  readonly self: boolean;
  readonly reachable: boolean | null;
  readonly voting: boolean | null;
  /** This node: its readiness (quorum and database). A peer: reachable, voting and not leaving, as seen from here. */
  readonly ready: boolean | null;
  readonly leaving: boolean;
  readonly roundTripMs: number | null;
  readonly lastSeenMsAgo: number | null;
  readonly error: string | null;
}

export interface StatusView {
  readonly nodeId: string;
  /** Terminus's status: ok, error or shutting_down. */
  readonly status: string;
  readonly healthy: boolean;
  readonly quorum: {
    readonly up: boolean;
    readonly clusterSize: number;
    readonly needed: number;
    readonly voting: number;
  } | null;
  readonly database: { readonly up: boolean; readonly message: string | null } | null;
  readonly longPolls: { readonly open: number; readonly max: number } | null;
  readonly nodes: readonly NodeRow[];
  readonly rates: RequestRatesPerSecond | null;
  readonly generatedAt: Date;
}

type Details = Record<string, Record<string, unknown> | undefined>;

interface PeerDetails {
  url?: string;
  reachable?: boolean;
  voting?: boolean;
  leaving?: boolean;
  lastRoundTripMs?: number | null;
  lastSeenMsAgo?: number | null;
  lastError?: string | null;
}

/**
 * The status page's content, read from the cluster health answer (the JSON of
 * /kv-store/v1/health) and this node's request rates. Parts the answer lacks
 * (all of them while the node shuts down) are null.
 */
export function statusView(
  nodeId: string,
  { healthy, result }: HealthAnswer,
  rates: RequestRatesPerSecond | null,
  generatedAt: Date,
): StatusView {
  const details = (result.details ?? {}) as HealthCheckResult['details'] & Details;
  const quorum = details.quorum;
  const database = details.database;
  const longPolls = details.longPolls;
  const peers = (details.cluster?.peers ?? {}) as Record<string, PeerDetails>;
  const leaving = result.status === 'shutting_down';

  const self: NodeRow = {
    id: nodeId,
    url: null,
    self: true,
    reachable: true,
    voting: quorum === undefined ? null : quorum.thisNodeVotes === true,
    ready: healthy,
    leaving,
    roundTripMs: null,
    lastSeenMsAgo: null,
    error: null,
  };
  const others = Object.entries(peers).map(([id, peer]): NodeRow => ({
    id,
    url: peer.url ?? null,
    self: false,
    reachable: peer.reachable ?? null,
    voting: peer.voting ?? null,
    ready: peer.reachable === true && peer.voting === true && peer.leaving !== true,
    leaving: peer.leaving === true,
    roundTripMs: peer.lastRoundTripMs ?? null,
    lastSeenMsAgo: peer.lastSeenMsAgo ?? null,
    error: peer.lastError ?? null,
  }));

  return {
    nodeId,
    status: result.status,
    healthy,
    quorum:
      quorum === undefined
        ? null
        : {
            up: quorum.status === 'up',
            clusterSize: Number(quorum.clusterSize),
            needed: Number(quorum.needed),
            voting: Number(quorum.voting),
          },
    database:
      database === undefined
        ? null
        : { up: database.status === 'up', message: typeof database.message === 'string' ? database.message : null },
    longPolls: longPolls === undefined ? null : { open: Number(longPolls.open), max: Number(longPolls.max) },
    nodes: [self, ...others.sort((a, b) => a.id.localeCompare(b.id))],
    rates,
    generatedAt,
  };
}
