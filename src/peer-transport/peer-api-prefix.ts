/** Where the internal API between nodes lives: `/internal/v1/...`, cluster secret required. */
export const PEER_API_PREFIX = 'internal/v1';
