import { PeerConfig } from '../../config/peers';
import { BATCH_LINGER_MS, CallCoalescer, scheduleOnImmediate } from '../../common/call-coalescer';
import { PeerCallError } from '../../peer-transport/peer-call-error';
import { PeerChannel } from '../../peer-transport/peer-channel';
import { ForwardableOperation, parseForwardedResult, ResultOf } from '../kv-operation';
import { decodeError, FORWARDED_OPS_METHOD, WireOperation, WireResult } from './kv-ops';

/** The operation never reached the peer (or the peer turned it away unread): running it elsewhere cannot apply it twice. */
export class NotDeliveredError extends Error {}

interface KeyedResult {
  readonly key: string;
  readonly result: WireResult;
}

/** The peer ran the operation: its result, or the domain error it failed with (an absent key, a failed precondition, no quorum). */
export type ForwardedAnswer<R> =
  { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: Error };

/**
 * Sends operations to the node that should propose for them. Operations
 * issued together, or while earlier ones are on their way, travel in one
 * request, which also lets the receiving proposer batch their rounds.
 */
export class ForwardingClient {
  private readonly ops: CallCoalescer<WireOperation, KeyedResult>;

  constructor(
    readonly peer: PeerConfig,
    private readonly channel: PeerChannel,
    /** Told the size of each frame sent (for the metrics). */
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {
    this.ops = new CallCoalescer(
      'forwarded operation',
      { maxBatchSize: 500, maxInFlight: 2, schedule: scheduleOnImmediate, lingerMs: BATCH_LINGER_MS, target: peer.id },
      (op) => op.key,
      (ops, timeoutMs) => this.send(ops, timeoutMs!),
    );
  }

  /**
   * `timeoutMs` is the caller's remaining budget; the peer must answer within
   * it. `requestId`, the client request's, goes with the operation, for the
   * peer's log. Throws when the peer did not answer (NotDeliveredError when it
   * certainly never acted on it) or answered something that does not fit.
   */
  async execute<O extends ForwardableOperation>(
    op: O,
    timeoutMs: number,
    requestId?: string,
  ): Promise<ForwardedAnswer<ResultOf<O>>> {
    const [reply] = await this.ops.call([requestId === undefined ? op : { ...op, requestId }], timeoutMs);
    if (!reply) throw new Error(`peer ${this.peer.id}: no reply`);
    const wire = reply.result;
    if (!wire.ok) return { ok: false, error: decodeError(op.key, wire.error) };
    const result = parseForwardedResult(op, wire);
    if (!result) throw new Error(`peer ${this.peer.id}: malformed result for a ${op.type}`);
    return { ok: true, result };
  }

  /** Not idempotent: a write resent after the peer read it could apply twice, so it is never resent. */
  private async send(ops: WireOperation[], timeoutMs: number): Promise<KeyedResult[]> {
    let reply: { results?: WireResult[] };
    this.onBatch(ops.length);
    try {
      // The peer gets a little less time than we wait, so its answer (even a 503) arrives in time.
      reply = await this.channel.call(
        FORWARDED_OPS_METHOD,
        { ops, timeoutMs: Math.max(1, timeoutMs - 50) },
        timeoutMs,
        {
          idempotent: false,
        },
      );
    } catch (error) {
      // Only a refused connection or channel, or a peer's explicit "unread", proves the request was never acted on.
      if (error instanceof PeerCallError && error.failure === 'refused')
        throw new NotDeliveredError(`peer ${this.peer.id}: ${error.message}`);
      throw error;
    }
    const results = reply?.results;
    if (!Array.isArray(results) || results.length !== ops.length)
      throw new Error(`peer ${this.peer.id}: malformed reply`);
    return results.map((result, index) => ({ key: ops[index]!.key, result }));
  }
}
