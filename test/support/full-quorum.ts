import { KvClient } from '../../clients/typescript/src';

const POLL_MS = 100;

/**
 * Until every node's health reports all `size` acceptors voting. A node votes
 * as soon as it has caught up (TestCluster.waitUntilVoting), but each learns
 * that its peers do from its own probes, a second or so later: tests that
 * compare what the nodes report wait for this first.
 */
export async function waitUntilAllSeeFullQuorum(endpoints: readonly string[], timeoutMs = 20_000): Promise<void> {
  const client = new KvClient({ endpoints });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await client.status();
    const full = nodes.every(
      (node) =>
        node.httpStatus === 200 &&
        (node.health?.details.quorum as { voting?: number } | undefined)?.voting === endpoints.length,
    );
    if (full) return;
    if (Date.now() > deadline)
      throw new Error(`not every node saw all ${endpoints.length} voting within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
