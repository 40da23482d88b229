import { FeedPosition, encodeFeedPosition } from '../../replication/core/feed-position';
import { WatchMessage } from '../../replication/core/feed-watchers';

/**
 * Server-Sent Events as the watch stream writes them (HTML Living Standard,
 * "Server-sent events"). JSON.stringify never emits a raw newline, so every
 * data field is one line.
 */

/** The first bytes: how long a client waits before reconnecting. */
export function sseOpening(retryMs: number): string {
  return `retry: ${retryMs}\n: watching\n\n`;
}

/** The position to resume from, with no event: moves the client's last event id (see sseHeartbeat). */
export function ssePosition(position: FeedPosition): string {
  return `id: ${encodeFeedPosition(position)}\n\n`;
}

/**
 * A heartbeat: a comment that keeps proxies from closing an idle stream, with
 * the stream's position as its id (an event with no data dispatches nothing
 * but still moves the client's last event id), so a reconnect resumes there.
 */
export function sseHeartbeat(position: FeedPosition): string {
  return `: heartbeat\nid: ${encodeFeedPosition(position)}\n\n`;
}

export function sseMessage(message: WatchMessage): string {
  const id = encodeFeedPosition(message.position);
  if (message.kind === 'resync') {
    const data = { reason: 'events may have been missed here: list the keys again, then carry on from this event' };
    return `id: ${id}\nevent: resync\ndata: ${JSON.stringify(data)}\n\n`;
  }
  const { event } = message;
  const data = {
    key: event.key,
    value: event.present ? event.value : null,
    version: event.version,
    ...(event.expiresAt !== undefined && { expiresAt: new Date(event.expiresAt).toISOString() }),
  };
  return `id: ${id}\nevent: ${event.present ? 'put' : 'delete'}\ndata: ${JSON.stringify(data)}\n\n`;
}
