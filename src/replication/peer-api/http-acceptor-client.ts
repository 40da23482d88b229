import { HttpService } from '@nestjs/axios';
import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from '../core/messages';
import { AcceptorClient } from '../core/transport';
import { PeerConfig } from '../../config/peers';
import { CLUSTER_AUTH_SCHEME } from './cluster-secret.guard';
import { PEER_API_PREFIX } from './peer.controller';
import { failedOnStaleConnection } from './stale-connection';

/**
 * Reaches a peer's acceptor over its internal HTTP API. Any failure (timeout,
 * refused connection, non-2xx) rejects: to the proposer that means "no
 * answer", never "rejected".
 */
export class HttpAcceptorClient implements AcceptorClient {
  readonly nodeId: string;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;

  constructor(
    peer: PeerConfig,
    clusterSecret: string,
    private readonly http: HttpService,
  ) {
    this.nodeId = peer.id;
    this.baseUrl = `${peer.url}/${PEER_API_PREFIX}`;
    this.headers = { authorization: `${CLUSTER_AUTH_SCHEME} ${clusterSecret}`, 'content-type': 'application/json' };
  }

  async prepare(requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> {
    return this.post<PrepareReply>('prepare', { requests }, timeoutMs);
  }

  async accept(requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> {
    return this.post<AcceptReply>('accept', { requests }, timeoutMs);
  }

  async peek(keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> {
    return this.post<PeekReply>('peek', { keys }, timeoutMs);
  }

  /** Acceptor calls are safe to repeat (the same ballot means the same answer), so a stale connection gets one retry. */
  private async post<Reply>(path: string, body: unknown, timeoutMs: number): Promise<Reply[]> {
    try {
      return await this.postOnce<Reply>(path, body, timeoutMs);
    } catch (error) {
      if (!failedOnStaleConnection(error)) throw error;
      return this.postOnce<Reply>(path, body, timeoutMs);
    }
  }

  private async postOnce<Reply>(path: string, body: unknown, timeoutMs: number): Promise<Reply[]> {
    const response = await this.http.axiosRef.post<{ replies: Reply[] }>(`${this.baseUrl}/${path}`, body, {
      headers: this.headers,
      timeout: Math.max(1, Math.floor(timeoutMs)),
      // Peer batches can be large; the receiving side enforces its own limit.
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
    });
    const replies = response.data?.replies;
    if (!Array.isArray(replies)) throw new Error(`peer ${this.nodeId}: reply without a replies list`);
    return replies;
  }
}
