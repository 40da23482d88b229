import { PeerConfig } from '../../config/peers';
import { BATCH_LINGER_MS, CallCoalescer, scheduleOnImmediate } from '../../replication/core/call-coalescer';
import { CLUSTER_AUTH_SCHEME } from '../../replication/peer-api/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../replication/peer-api/peer.controller';
import { PeerCallError, PeerHttpClient } from '../../replication/peer-api/peer-http-client';
import { KvOp, KvOpResult } from './kv-ops';

/** The operation never reached the peer (connection refused): running it elsewhere cannot apply it twice. */
export class NotDeliveredError extends Error {}

interface KeyedResult {
  readonly key: string;
  readonly result: KvOpResult;
}

/**
 * Sends operations to the node that should propose for them. Operations
 * issued together, or while earlier ones are on their way, travel in one
 * request, which also lets the receiving proposer batch their rounds.
 */
export class ForwardingClient {
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly ops: CallCoalescer<KvOp, KeyedResult>;

  constructor(
    readonly peer: PeerConfig,
    clusterSecret: string,
    private readonly http: PeerHttpClient,
  ) {
    this.url = new URL(`${peer.url}/${PEER_API_PREFIX}/kv/ops`);
    this.headers = { authorization: `${CLUSTER_AUTH_SCHEME} ${clusterSecret}` };
    this.ops = new CallCoalescer(
      'forwarded operation',
      { maxBatchSize: 500, maxInFlight: 2, schedule: scheduleOnImmediate, lingerMs: BATCH_LINGER_MS, target: peer.id },
      (op) => op.key,
      (ops, timeoutMs) => this.send(ops, timeoutMs!),
    );
  }

  /** `timeoutMs` is the caller's remaining budget; the peer must answer within it. */
  async execute(op: KvOp, timeoutMs: number): Promise<KvOpResult> {
    const [reply] = await this.ops.call([op], timeoutMs);
    return reply!.result;
  }

  /** Not idempotent: a write resent after the peer read it could apply twice, so only a never-written request is resent. */
  private async send(ops: KvOp[], timeoutMs: number): Promise<KeyedResult[]> {
    let reply: { results?: KvOpResult[] };
    try {
      // The peer gets a little less time than we wait, so its answer (even a 503) arrives in time.
      reply = await this.http.post(this.url, this.headers, { ops, timeoutMs: Math.max(1, timeoutMs - 50) }, timeoutMs);
    } catch (error) {
      // Only a refused connection proves the request was never received.
      if (error instanceof PeerCallError && error.failure === 'refused') throw new NotDeliveredError(`peer ${this.peer.id}: ${error.message}`);
      throw error;
    }
    const results = reply?.results;
    if (!Array.isArray(results) || results.length !== ops.length) throw new Error(`peer ${this.peer.id}: malformed reply`);
    return results.map((result, index) => ({ key: ops[index]!.key, result }));
  }
}
