import type { NodeStatus, WatchEvent } from './client';

export type OutputFormat = 'json' | 'table';

/** One node as `kvctl status` reports it, from that node's /kv-store/v1/health. */
export interface NodeSummary {
  url: string;
  nodeId: string | null;
  reachable: boolean;
  /** voter: its acceptor votes; catching-up: it copies from its peers and does not vote yet; leaving: shutting down. */
  role: 'voter' | 'catching-up' | 'leaving' | 'unreachable';
  /** It has a quorum: it can serve reads and writes. */
  ready: boolean;
  quorum: { voting: number; needed: number; clusterSize: number } | null;
  /** This machine to the node and back (the health request). */
  roundTripMs: number | null;
  peers: Record<string, { reachable: boolean; voting: boolean; lastRoundTripMs: number | null }>;
  error?: string;
}

interface ClusterDetails {
  nodeId?: string;
  peers?: Record<string, { reachable?: boolean; voting?: boolean; lastRoundTripMs?: number | null }>;
}
interface QuorumDetails {
  voting?: number;
  needed?: number;
  clusterSize?: number;
  thisNodeVotes?: boolean;
}

export function summarize(status: NodeStatus): NodeSummary {
  const unreachable: NodeSummary = {
    url: status.url,
    nodeId: null,
    reachable: false,
    role: 'unreachable',
    ready: false,
    quorum: null,
    roundTripMs: null,
    peers: {},
    ...(status.error === undefined ? {} : { error: status.error }),
  };
  if (!status.reachable || !status.health) return unreachable;
  const { health } = status;
  const cluster = health.details.cluster as ClusterDetails | undefined;
  const quorum = health.details.quorum as QuorumDetails | undefined;
  const role = health.status === 'shutting_down' ? 'leaving' : quorum?.thisNodeVotes ? 'voter' : 'catching-up';
  return {
    url: status.url,
    nodeId: cluster?.nodeId ?? null,
    reachable: true,
    role,
    ready: status.httpStatus === 200,
    quorum:
      quorum?.voting === undefined
        ? null
        : { voting: quorum.voting, needed: quorum.needed ?? 0, clusterSize: quorum.clusterSize ?? 0 },
    roundTripMs: status.roundTripMs ?? null,
    peers: Object.fromEntries(
      Object.entries(cluster?.peers ?? {}).map(([id, peer]) => [
        id,
        {
          reachable: peer.reachable ?? false,
          voting: peer.voting ?? false,
          lastRoundTripMs: peer.lastRoundTripMs ?? null,
        },
      ]),
    ),
  };
}

/** `kvctl status --output table`: the nodes, then what each says of its peers. */
export function statusTable(nodes: readonly NodeSummary[]): string {
  const nodeRows = nodes.map((node) => [
    node.nodeId ?? '?',
    node.url,
    node.role,
    node.ready ? 'yes' : 'no',
    node.quorum ? `${node.quorum.voting}/${node.quorum.clusterSize} (needs ${node.quorum.needed})` : '-',
    milliseconds(node.roundTripMs),
  ]);
  const peerRows = nodes.flatMap((node) =>
    Object.entries(node.peers).map(([id, peer]) => [
      node.nodeId ?? node.url,
      id,
      peer.reachable ? 'yes' : 'NO',
      peer.voting ? 'yes' : 'no',
      milliseconds(peer.lastRoundTripMs),
    ]),
  );
  return [
    table(['NODE', 'URL', 'ROLE', 'READY', 'VOTING', 'RTT'], nodeRows),
    '',
    table(['FROM', 'PEER', 'REACHABLE', 'VOTING', 'RTT'], peerRows),
  ].join('\n');
}

/** Keys and values as rows (values as compact JSON). */
export function entriesTable(
  entries: readonly { key: string; value?: unknown; version: number; expiresAt?: string }[],
): string {
  return table(
    ['KEY', 'VERSION', 'VALUE', 'EXPIRES'],
    entries.map((entry) => [
      entry.key,
      String(entry.version),
      entry.value === undefined ? '' : JSON.stringify(entry.value),
      entry.expiresAt ?? '',
    ]),
  );
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function milliseconds(value: number | null): string {
  return value === null ? '-' : `${value} ms`;
}

/** A watch event on one line, for people: what happened, to which key, at which version. */
export function watchLine(event: WatchEvent): string {
  switch (event.type) {
    case 'put':
      return `put     ${event.key}  v${event.version}  ${JSON.stringify(event.value)}${event.expiresAt ? `  expires ${event.expiresAt}` : ''}`;
    case 'delete':
      return `delete  ${event.key}  v${event.version}`;
    case 'resync':
      return 'resync  (changes may have been missed here: list the keys again)';
  }
}
