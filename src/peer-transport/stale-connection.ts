/**
 * Keep-alive timing between nodes. A request sent on a pooled connection that
 * the peer closes at the same moment (its idle timeout) fails with EPIPE or
 * ECONNRESET before any answer: the peer never read it. Our pooled connections
 * are closed by our side first, after PEER_AGENT_IDLE_MS idle, well before the
 * peer's SERVER_KEEP_ALIVE_MS, so this is rare. These pooled connections carry
 * health probes and catch-up scans, which are retried on their own schedule;
 * the calls of every write use the peer channel (peer-channel.ts) instead.
 */

/** Pooled peer connections idle longer than this are closed by us, before the peer's keep-alive timeout. */
export const PEER_AGENT_IDLE_MS = 30_000;
/** How long this node keeps an idle client connection open (Fastify's default, made explicit). */
export const SERVER_KEEP_ALIVE_MS = 72_000;
