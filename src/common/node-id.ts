/**
 * What a node id may be. Ballots end with the node id and compare as plain
 * strings, so it must be short and plain; configuration checks the same rule
 * before a node starts.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const NODE_ID_RULE = '1-64 characters of A-Z, a-z, 0-9, _ or -';

export function isValidNodeId(nodeId: string): boolean {
  return NODE_ID_PATTERN.test(nodeId);
}
