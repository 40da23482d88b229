/**
 * What a launcher asks a node, all through its health endpoints (the same
 * answers an operator or a load balancer gets), never through the peer API.
 */

/** The process is up and routing HTTP. */
export async function isLive(baseUrl: string): Promise<boolean> {
  const response = await get(baseUrl, '/health/live');
  return response?.status === 200;
}

/** The node can serve quorum operations: its database answers and a majority of acceptors vote. */
export async function isReady(baseUrl: string): Promise<boolean> {
  const response = await get(baseUrl, '/health/ready');
  return response?.status === 200;
}

/**
 * This node's own acceptor votes. A node on a new (or wiped) database serves
 * HTTP first and votes only once it has caught up from its peers; the cluster
 * health reports that as quorum.thisNodeVotes, whether or not a quorum exists.
 */
export async function isVoting(baseUrl: string): Promise<boolean> {
  const response = await get(baseUrl, '/kv-store/v1/health');
  if (!response || (response.status !== 200 && response.status !== 503)) return false;
  try {
    const body = JSON.parse(response.text) as { details?: { quorum?: { thisNodeVotes?: unknown } } };
    return body.details?.quorum?.thisNodeVotes === true;
  } catch {
    return false;
  }
}

async function get(baseUrl: string, path: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return undefined;
  }
}
