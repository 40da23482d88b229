import { KeyRange } from './key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from './messages';

/**
 * How a proposer reaches one acceptor. The local acceptor is called directly;
 * peers go over HTTP in production and over an in-memory network in tests.
 *
 * A call either resolves with one reply per request (in request order) or
 * rejects (timeout, connection refused, peer error): a rejection means "no
 * answer", never "rejected" — the acceptor may or may not have applied it.
 * `timeoutMs` bounds the call; implementations must honour it.
 */
export interface AcceptorClient {
  readonly nodeId: string;
  prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]>;
  accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]>;
  peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]>;
  /** The acceptor's listable registers in the range (present, or a tombstone not known settled), in key order. */
  list(range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]>;
}
