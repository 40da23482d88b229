/**
 * Why a call to a peer failed, in the terms callers decide on:
 * - `refused`: the peer never saw the request (connection refused, the
 *   channel refused with an HTTP status, or the peer turned the request away
 *   unread because it is shutting down): running the operation elsewhere
 *   cannot apply it twice; `status` then says why, when the peer said;
 * - `stale`: the connection broke while the request waited for its answer;
 *   the peer may have read it, so only an idempotent call may be resent;
 * - `timeout`: no reply within the budget; the peer may still act on it;
 * - `status`: the peer answered with an error status (HTTP's numbers);
 * - `network`: anything else on the wire; the peer may have seen the request.
 */
export type PeerCallFailure = 'refused' | 'stale' | 'timeout' | 'status' | 'network';

export class PeerCallError extends Error {
  override readonly name = 'PeerCallError';

  constructor(
    message: string,
    readonly failure: PeerCallFailure,
    /** The socket error code (ECONNREFUSED, EPIPE, ...), when there was one. */
    readonly code?: string,
    /** The peer's status, for `status` failures and refusals it explained. */
    readonly status?: number,
  ) {
    super(message);
  }
}
