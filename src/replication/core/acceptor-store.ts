import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';

/**
 * The acceptor: its rules live in the store, because each check-and-set must
 * be one atomic, durable step (one SQL statement in PostgreSQL).
 *
 * prepare(B): granted only if B > promised and B > accepted; stores promised = B
 *   durably before replying with (accepted, state). Otherwise replies with the
 *   highest ballot seen.
 * accept(B, state, next?): stored only if B >= promised and B > accepted, as
 *   accepted = B, the state, and promised = next ?? B, durably before replying.
 *   A duplicate (accepted already equals B) is acknowledged without change.
 * peek: the current (accepted, state), changing nothing.
 *
 * Replies come back in request order, one per request. A batch must not name
 * the same key twice.
 */
export abstract class AcceptorStore {
  abstract prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]>;
  abstract accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]>;
  abstract peek(keys: readonly string[]): Promise<PeekReply[]>;
}
