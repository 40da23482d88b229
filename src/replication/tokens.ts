/** This node's acceptor as the protocol may use it: behind the catch-up gate. */
export const VOTING_ACCEPTOR = Symbol('VOTING_ACCEPTOR');
/** Every acceptor of the cluster as this node reaches it: its own directly, the peers over HTTP. */
export const ACCEPTORS = Symbol('ACCEPTORS');
