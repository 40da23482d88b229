import { Ballot } from './ballot';
import { KeyRange } from './key-range';
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
 * For listings (KeyLister, TombstoneSettler), every accepted state is stored
 * "unsettled"; only settle() clears the mark, and only on a tombstone:
 * list(range, limit): the first `limit` registers of the range, in key order
 *   (byte order), that are present or unsettled, as peek would report them.
 * unsettledTombstones(after, limit): the first `limit` unsettled tombstones
 *   after a key (all of them from the start when null), in key order.
 * settle(key, ballot): clears the mark where the register is still a tombstone
 *   accepted at that ballot or below, and nowhere else (a newer accept since
 *   keeps it listable).
 * These touch no promise and no accepted state, so they cannot affect a
 * ballot's outcome; a page must cost O(limit), never a scan of the table.
 *
 * For the expirer (Expirer):
 * expiredBy(time, limit): at most `limit` registers whose accepted state is
 *   present with an expiresAt at or before `time`, soonest expiry first, as
 *   peek would report them. Read-only, and O(limit) through an index on the
 *   expiry: never a scan of the table.
 *
 * Replies come back in request order, one per request. A batch must not name
 * the same key twice.
 */
export abstract class AcceptorStore {
  abstract prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]>;
  abstract accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]>;
  abstract peek(keys: readonly string[]): Promise<PeekReply[]>;
  abstract list(range: KeyRange, limit: number): Promise<PeekReply[]>;
  abstract unsettledTombstones(after: string | null, limit: number): Promise<PeekReply[]>;
  abstract settle(requests: readonly SettleRequest[]): Promise<void>;
  abstract expiredBy(time: number, limit: number): Promise<PeekReply[]>;
}

/** A tombstone proven chosen at `ballot`: a majority of acceptors reported it accepted there. */
export interface SettleRequest {
  readonly key: string;
  readonly ballot: Ballot;
}
