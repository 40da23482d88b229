import { Ballot } from './ballot';
import { RegisterState } from './register';

/**
 * Peer messages. Every call carries many keys so that one HTTP request and one
 * SQL statement serve a whole batch; each key's outcome is independent.
 */

export interface PrepareRequest {
  readonly key: string;
  readonly ballot: Ballot;
}

export type PrepareReply =
  | { readonly key: string; readonly ok: true; readonly accepted: Ballot; readonly state: RegisterState }
  /** `seen` is the highest ballot the acceptor holds for the key (promised or accepted). */
  | { readonly key: string; readonly ok: false; readonly seen: Ballot };

export interface AcceptRequest {
  readonly key: string;
  readonly ballot: Ballot;
  readonly state: RegisterState;
  /** One-round-trip path: also promise this (higher) ballot in the same statement. */
  readonly next?: Ballot;
}

export type AcceptReply =
  { readonly key: string; readonly ok: true } | { readonly key: string; readonly ok: false; readonly seen: Ballot };

/** A read-only look at an acceptor's register: changes no promise, writes nothing. */
export interface PeekReply {
  readonly key: string;
  readonly accepted: Ballot;
  readonly state: RegisterState;
}
