import { BeforeApplicationShutdown, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { FeedPosition } from '../../replication/core/feed-position';
import { FeedWatchers, Watch, WatchMessage } from '../../replication/core/feed-watchers';
import { sseHeartbeat, sseMessage, sseOpening, ssePosition } from './sse-format';

/** A comment this often keeps idle streams open through proxies (and tells clients the position). */
export const HEARTBEAT_MS = 15_000;
/** A stream whose client reads slower than this much buffered output is closed (it reconnects with its id). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a client waits before reconnecting after the stream ends. */
const RETRY_MS = 1000;

/**
 * This node's open watch streams: each one a FeedWatchers watch written to
 * an HTTP response as Server-Sent Events, with heartbeats; at most
 * WATCH_MAX_STREAMS of them; all ended when the node stops.
 */
@Injectable()
export class WatchStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();
  private stopping = false;

  constructor(
    private readonly watchers: FeedWatchers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get count(): number {
    return this.open.size;
  }

  /** Refuses before anything is written, so the refusal is an ordinary error answer. */
  admit(): void {
    if (this.stopping) throw new ServiceUnavailableException('this node is stopping');
    if (this.open.size >= this.config.watchMaxStreams)
      throw new ServiceUnavailableException(`this node has ${this.open.size} watch streams open, its limit`);
  }

  /** Streams the watch to `response` until the client goes or the node stops. */
  async stream(response: ServerResponse, prefix: string, after: FeedPosition | undefined): Promise<void> {
    let watch: Watch | undefined;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      this.open.delete(end);
      watch?.stop();
      response.end();
    };
    this.open.add(end);
    response.on('close', end);
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx and some other proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    let sentMessage = false;
    const write = (text: string): boolean => {
      if (ended) return false;
      response.write(text);
      return response.writableLength <= MAX_BUFFERED_BYTES;
    };
    write(sseOpening(RETRY_MS));
    const heartbeat = setInterval(() => {
      if (watch !== undefined) write(sseHeartbeat(watch.position()));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const send = (message: WatchMessage): boolean => {
      sentMessage = true;
      return write(sseMessage(message));
    };
    try {
      watch = await this.watchers.watch(prefix, after, send, end);
    } catch {
      // The stored feed could not be read (the database is away): the client reconnects with its id.
      end();
      return;
    }
    if (ended) {
      watch.stop();
      return;
    }
    // A client that reconnects before any event should not start over from its old id, or from nothing.
    if (!sentMessage) write(ssePosition(watch.position()));
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    for (const end of [...this.open]) end();
  }
}
