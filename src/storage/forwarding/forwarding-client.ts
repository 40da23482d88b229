import { HttpService } from '@nestjs/axios';
import { isAxiosError } from 'axios';
import { PeerConfig } from '../../config/peers';
import { CLUSTER_AUTH_SCHEME } from '../../replication/peer-api/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../replication/peer-api/peer.controller';
import { KvWrite, KvWriteResult } from './kv-ops';

/** The write never reached the peer (connection refused): running it elsewhere cannot apply it twice. */
export class NotDeliveredError extends Error {}

interface Waiting {
  readonly write: KvWrite;
  readonly resolve: (result: KvWriteResult) => void;
  readonly reject: (error: unknown) => void;
}

const MAX_WRITES_PER_REQUEST = 500;

/**
 * Sends writes to the node that should propose for them. Writes issued in the
 * same tick travel in one request, which also lets the receiving proposer
 * batch their rounds.
 */
export class ForwardingClient {
  private gathering: Waiting[] = [];
  private gatheringTimeoutMs = 0;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(
    readonly peer: PeerConfig,
    clusterSecret: string,
    private readonly http: HttpService,
  ) {
    this.url = `${peer.url}/${PEER_API_PREFIX}/kv/writes`;
    this.headers = { authorization: `${CLUSTER_AUTH_SCHEME} ${clusterSecret}` };
  }

  /** `timeoutMs` is the caller's remaining budget; the peer must answer within it. */
  execute(write: KvWrite, timeoutMs: number): Promise<KvWriteResult> {
    return new Promise((resolve, reject) => {
      if (this.gathering.length === 0) {
        this.gatheringTimeoutMs = timeoutMs;
        setImmediate(() => this.flush());
      }
      this.gatheringTimeoutMs = Math.min(this.gatheringTimeoutMs, timeoutMs);
      this.gathering.push({ write, resolve, reject });
    });
  }

  private flush(): void {
    const waiting = this.gathering;
    const timeoutMs = this.gatheringTimeoutMs;
    this.gathering = [];
    for (let start = 0; start < waiting.length; start += MAX_WRITES_PER_REQUEST) {
      void this.send(waiting.slice(start, start + MAX_WRITES_PER_REQUEST), timeoutMs);
    }
  }

  private async send(batch: readonly Waiting[], timeoutMs: number): Promise<void> {
    try {
      const response = await this.http.axiosRef.post<{ results?: KvWriteResult[] }>(
        this.url,
        // The peer gets a little less time than we wait, so its answer (even a 503) arrives in time.
        { writes: batch.map((entry) => entry.write), timeoutMs: Math.max(1, timeoutMs - 50) },
        { headers: this.headers, timeout: Math.max(1, timeoutMs), maxBodyLength: Infinity, maxContentLength: Infinity },
      );
      const results = response.data?.results;
      if (!Array.isArray(results) || results.length !== batch.length) throw new Error(`peer ${this.peer.id}: malformed reply`);
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      const failure = neverArrived(error) ? new NotDeliveredError(`peer ${this.peer.id}: ${(error as Error).message}`) : error;
      batch.forEach((entry) => entry.reject(failure));
    }
  }
}

/** Only a refused connection proves the request was never received. */
function neverArrived(error: unknown): boolean {
  return isAxiosError(error) && !error.response && (error.code === 'ECONNREFUSED' || error.cause instanceof Error && (error.cause as NodeJS.ErrnoException).code === 'ECONNREFUSED');
}
