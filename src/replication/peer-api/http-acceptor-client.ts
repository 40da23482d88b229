import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from '../core/messages';
import { AcceptorClient } from '../core/transport';
import { PeerConfig } from '../../config/peers';
import { CLUSTER_AUTH_SCHEME } from './cluster-secret.guard';
import { PEER_API_PREFIX } from './peer.controller';
import { PeerHttpClient } from './peer-http-client';

type AcceptorCall = 'prepare' | 'accept' | 'peek';

/**
 * Reaches a peer's acceptor over its internal HTTP API. Any failure (timeout,
 * refused connection, non-2xx) rejects: to the proposer that means "no
 * answer", never "rejected".
 */
export class HttpAcceptorClient implements AcceptorClient {
  readonly nodeId: string;
  private readonly urls: Record<AcceptorCall, URL>;
  private readonly headers: Record<string, string>;

  constructor(
    peer: PeerConfig,
    clusterSecret: string,
    private readonly http: PeerHttpClient,
  ) {
    this.nodeId = peer.id;
    const url = (path: string): URL => new URL(`${peer.url}/${PEER_API_PREFIX}/${path}`);
    this.urls = { prepare: url('prepare'), accept: url('accept'), peek: url('peek') };
    this.headers = { authorization: `${CLUSTER_AUTH_SCHEME} ${clusterSecret}` };
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

  /** Acceptor calls are safe to repeat (the same ballot means the same answer). */
  private async post<Reply>(path: AcceptorCall, body: unknown, timeoutMs: number): Promise<Reply[]> {
    const reply = await this.http.post<{ replies?: Reply[] }>(this.urls[path], this.headers, body, Math.floor(timeoutMs), {
      idempotent: true,
    });
    const replies = reply?.replies;
    if (!Array.isArray(replies)) throw new Error(`peer ${this.nodeId}: reply without a replies list`);
    return replies;
  }
}
