import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PEER_AGENT_IDLE_MS } from './stale-connection';

/**
 * Why a peer call failed, in the terms callers decide on:
 * - `refused`: the connection was refused, so the peer never saw the request;
 * - `stale`: written on a pooled connection the peer had just closed (EPIPE or
 *   ECONNRESET before any reply): the peer never read it, one resend is safe;
 * - `timeout`: no reply within the budget; the peer may still act on it;
 * - `status`: the peer answered with a non-2xx status;
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
    /** The HTTP status, for `status` failures. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Most bytes of an error reply kept for the message. */
const ERROR_BODY_SNIPPET = 300;

/**
 * JSON over HTTP/1.1 POST to peers on keep-alive connections, for the calls
 * every replicated write makes (acceptor calls, forwarded operations).
 *
 * Plain node:http rather than @nestjs/axios: axios's config merging, header
 * normalisation and transform chain cost more CPU than the whole request on
 * the receiving side, and a write makes several such calls
 * (bench/results/peer-transport.txt measures the difference). Health probes
 * and catch-up scans, a few calls a second, still go through HttpService.
 */
@Injectable()
export class PeerHttpClient implements OnModuleDestroy {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, timeout: PEER_AGENT_IDLE_MS });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, timeout: PEER_AGENT_IDLE_MS });

  /**
   * Resolves with the parsed JSON reply of a 2xx answer; rejects with
   * PeerCallError otherwise. A request that died on a pooled connection the
   * peer had just closed is sent once more on a fresh one, within what is
   * left of `timeoutMs`, when that cannot make the peer act twice: always for
   * an `idempotent` call, otherwise only on EPIPE (the request was never
   * written; an ECONNRESET may come after the peer read it).
   */
  async post<Reply>(
    url: URL,
    headers: Readonly<Record<string, string>>,
    body: unknown,
    timeoutMs: number,
    options: { idempotent: boolean } = { idempotent: false },
  ): Promise<Reply> {
    const payload = Buffer.from(JSON.stringify(body));
    const started = Date.now();
    try {
      return await this.send<Reply>(url, headers, payload, timeoutMs);
    } catch (error) {
      const resendable = error instanceof PeerCallError && error.failure === 'stale' && (options.idempotent || error.code === 'EPIPE');
      if (!resendable) throw error;
      return this.send<Reply>(url, headers, payload, timeoutMs - (Date.now() - started));
    }
  }

  private send<Reply>(url: URL, headers: Readonly<Record<string, string>>, payload: Buffer, timeoutMs: number): Promise<Reply> {
    const secure = url.protocol === 'https:';
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const fail = (error: PeerCallError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      const request = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length },
      });
      const timer = setTimeout(
        () => fail(new PeerCallError(`${url.host}: no reply within ${timeoutMs} ms`, 'timeout')),
        Math.max(1, timeoutMs),
      );
      request.on('error', (error: NodeJS.ErrnoException) => fail(classifySocketError(url, error, request.reusedSocket)));
      request.on('response', (response) => {
        readBody(response).then(
          (text) => {
            if (settled) return;
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              fail(new PeerCallError(`${url.host}: HTTP ${status} ${text.slice(0, ERROR_BODY_SNIPPET)}`, 'status', undefined, status));
              return;
            }
            let parsed: Reply;
            try {
              parsed = JSON.parse(text) as Reply;
            } catch {
              fail(new PeerCallError(`${url.host}: reply is not JSON`, 'network'));
              return;
            }
            settled = true;
            clearTimeout(timer);
            resolve(parsed);
          },
          (error: NodeJS.ErrnoException) => fail(classifySocketError(url, error, false)),
        );
      });
      request.end(payload);
    });
  }

  /** Closes pooled connections at shutdown. */
  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function classifySocketError(url: URL, error: NodeJS.ErrnoException, reusedSocket: boolean): PeerCallError {
  const code = error.code;
  const failure: PeerCallFailure =
    code === 'ECONNREFUSED' ? 'refused' : reusedSocket && (code === 'EPIPE' || code === 'ECONNRESET') ? 'stale' : 'network';
  return new PeerCallError(`${url.host}: ${error.message}`, failure, code);
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(Object.assign(new Error('reply aborted'), { code: 'ECONNRESET' })));
  });
}
