/**
 * A watching client for the chaos run: one Server-Sent Events stream of
 * every key (GET /kv-store/v1/watch), moved to another node every few
 * seconds, and at once when its stream breaks, resuming with the last id it
 * got, as a client of the API would. It records what it was sent; the checks
 * are in watch-check.ts.
 */
import http from 'node:http';
import type { Random } from './random';

export interface WatchMessage {
  readonly kind: 'event' | 'resync';
  /** The stamp (µs) from the message's id: its place in the feed's order. */
  readonly stamp: number;
  readonly event?: 'put' | 'delete';
  readonly key?: string;
  readonly version?: number;
  readonly value?: unknown;
  readonly node: string;
}

export interface WatcherRecord {
  readonly name: string;
  readonly messages: WatchMessage[];
  /** The stamp of the first position the watcher was given: writes before it are not its business. */
  startStamp?: number;
  /** The stamp of the last position it was given (an event, a resync, a heartbeat, a starting position). */
  lastStamp?: number;
  hops: number;
  /** Streams that ended or failed (a node killed or paused, a connection refused). */
  breaks: number;
}

export class HoppingWatcher {
  readonly record: WatcherRecord;
  private lastId: string | undefined;
  private stopped = false;
  private current: http.ClientRequest | undefined;
  private running: Promise<void> | undefined;

  constructor(
    name: string,
    private readonly nodes: ReadonlyMap<string, number>,
    private readonly random: Random,
  ) {
    this.record = { name, messages: [], hops: 0, breaks: 0 };
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.destroy();
    await this.running;
  }

  private async loop(): Promise<void> {
    const ids = [...this.nodes.keys()];
    while (!this.stopped) {
      const node = this.random.pick(ids);
      const stayMs = this.random.int(2000, 6000);
      const broke = await this.streamFrom(node, stayMs);
      if (broke) {
        this.record.breaks++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      } else this.record.hops++;
    }
  }

  /** Reads one node's stream for `stayMs`; true when it ended or failed before that. */
  private streamFrom(node: string, stayMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (broke: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        resolve(broke);
      };
      const timer = setTimeout(() => finish(false), stayMs);
      const request = http.request({
        host: '127.0.0.1',
        port: this.nodes.get(node),
        path: '/kv-store/v1/watch',
        headers: this.lastId === undefined ? {} : { 'last-event-id': this.lastId },
        agent: false,
      });
      this.current = request;
      request.on('error', () => finish(true));
      request.on('response', (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          finish(true);
          return;
        }
        const parser = new SseParser((message) => this.take(node, message));
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => parser.push(chunk));
        response.on('end', () => finish(true));
        response.on('error', () => finish(true));
      });
      request.end();
    });
  }

  private take(node: string, message: { event: string; data: string; id?: string }): void {
    if (message.id !== undefined) {
      this.lastId = message.id;
      const stamp = Number(message.id.split('.')[0]);
      this.record.startStamp ??= stamp;
      this.record.lastStamp = stamp;
    }
    if (message.data === '' || message.id === undefined) return;
    const stamp = Number(message.id.split('.')[0]);
    if (message.event === 'resync') {
      this.record.messages.push({ kind: 'resync', stamp, node });
      return;
    }
    const data = JSON.parse(message.data) as { key: string; version: number; value: unknown };
    this.record.messages.push({
      kind: 'event',
      stamp,
      event: message.event as 'put' | 'delete',
      key: data.key,
      version: data.version,
      value: data.value,
      node,
    });
  }
}

/** Just enough of the SSE format for our own server's streams: fields, comments, blank-line dispatch. */
class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  constructor(private readonly onMessage: (message: { event: string; data: string; id?: string }) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') {
        this.onMessage({
          event: this.event,
          data: this.data.join('\n'),
          ...(this.id === undefined ? {} : { id: this.id }),
        });
        this.data = [];
        this.event = '';
        this.id = undefined;
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') this.data.push(value);
        else if (field === 'event') this.event = value;
        else if (field === 'id') this.id = value;
      }
    }
  }
}
