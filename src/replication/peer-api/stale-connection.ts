import { isAxiosError } from 'axios';
import type { ClientRequest } from 'node:http';

/**
 * A request sent on a pooled keep-alive connection that the peer closed at the
 * same moment (its idle timeout) fails with EPIPE or ECONNRESET before any
 * answer. The peer never read it; sending it again on a fresh connection is
 * the standard remedy. Idle pooled connections are closed by our side first
 * (see PEER_AGENT_IDLE_MS), so this is rare; a paused peer can still cause it.
 */
export function failedOnStaleConnection(error: unknown): boolean {
  if (!isAxiosError(error) || error.response) return false;
  const request = error.request as (ClientRequest & { reusedSocket?: boolean }) | undefined;
  const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return request?.reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE');
}

/** Pooled peer connections idle longer than this are closed by us, before the peer's keep-alive timeout. */
export const PEER_AGENT_IDLE_MS = 30_000;
/** How long this node keeps an idle client connection open (Fastify's default, made explicit). */
export const SERVER_KEEP_ALIVE_MS = 72_000;
