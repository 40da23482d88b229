import { isValidNodeId, NODE_ID_RULE } from '../common/node-id';

export interface PeerConfig {
  readonly id: string;
  /** Base URL of the peer, e.g. http://node2:8000 (no trailing slash, no API prefix). */
  readonly url: string;
}

/**
 * Reads the static membership: PEERS="n2=http://node2:8000,n3=http://node3:8000",
 * or the origin system's REPLICA_NODES='[{"url":"http://node2:8000/kv-store/v1"}]'
 * whose ids are derived from the URLs' host and port.
 */
export function parsePeers(input: { peers?: string; replicaNodes?: string; selfId: string }): PeerConfig[] {
  if (input.peers && input.replicaNodes) throw new Error('PEERS and REPLICA_NODES: set one, not both');
  const peers = input.peers
    ? fromPeersList(input.peers)
    : input.replicaNodes
      ? fromReplicaNodes(input.replicaNodes)
      : [];

  const ids = new Set<string>();
  for (const peer of peers) {
    if (!isValidNodeId(peer.id)) throw new Error(`PEERS: peer id ${JSON.stringify(peer.id)} must be ${NODE_ID_RULE}`);
    if (peer.id === input.selfId)
      throw new Error(`PEERS: lists this node itself (${peer.id}); list only the other nodes`);
    if (ids.has(peer.id)) throw new Error(`PEERS: peer id ${peer.id} appears twice`);
    ids.add(peer.id);
  }
  return peers;
}

function fromPeersList(list: string): PeerConfig[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new Error(`PEERS: ${JSON.stringify(entry)} is not id=url`);
      return { id: entry.slice(0, eq).trim(), url: baseUrl(entry.slice(eq + 1).trim(), 'PEERS') };
    });
}

function fromReplicaNodes(json: string): PeerConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('REPLICA_NODES: not valid JSON (expected [{"url":"http://host:port/kv-store/v1"}, ...])');
  }
  if (!Array.isArray(parsed)) throw new Error('REPLICA_NODES: expected a JSON array of {"url": ...}');
  return parsed.map((entry: unknown) => {
    const url = typeof entry === 'object' && entry !== null ? (entry as { url?: unknown }).url : undefined;
    if (typeof url !== 'string') throw new Error('REPLICA_NODES: every entry needs a "url" string');
    const base = baseUrl(url.replace(/\/kv-store\/v1\/?$/, ''), 'REPLICA_NODES');
    const { hostname, port } = new URL(base);
    return { id: `${hostname}-${port || '80'}`.replace(/[^A-Za-z0-9_-]/g, '_'), url: base };
  });
}

function baseUrl(raw: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${variable}: ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${variable}: ${raw} must be http or https`);
  return url.toString().replace(/\/+$/, '');
}
