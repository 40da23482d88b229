/**
 * What a launcher asks a node, all through its health endpoints (the same
 * answers an operator or a load balancer gets), never through the peer API.
 */

/**
 * The process is up and routing HTTP. With a pid, only if that process is the
 * one answering: another node already on the port must not pass for it.
 */
export async function isLive(baseUrl: string, pid?: number): Promise<boolean> {
  const response = await get(baseUrl, '/health/live');
  if (response?.status !== 200) return false;
  if (pid === undefined) return true;
  try {
    const body = JSON.parse(response.text) as { details?: { process?: { pid?: unknown } } };
    return body.details?.process?.pid === pid;
  } catch {
    return false;
  }
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
