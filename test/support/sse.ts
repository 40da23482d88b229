import { ClientRequest, IncomingMessage, request } from 'node:http';

/** One dispatched Server-Sent Event, as a browser's EventSource would see it. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  /** The stream's last event id after this event. */
  readonly lastEventId: string;
}

/**
 * A minimal EventSource for tests (no reconnection): parses the stream as
 * the HTML standard says (fields, comments, blank-line dispatch, an id that
 * sticks even on a message with no data), and keeps every event.
 */
export class SseStream {
  readonly events: SseEvent[] = [];
  /** The last event id, including ones set by messages without data (heartbeats, positions). */
  lastEventId = '';
  comments: string[] = [];
  status = 0;
  contentType = '';
  requestId = '';
  ended = false;
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly req: ClientRequest) {}

  static open(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const base = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const req = request({
        host: base.hostname,
        port: base.port,
        path,
        headers: { accept: 'text/event-stream', ...headers },
      });
      const stream = new SseStream(req);
      req.on('response', (res: IncomingMessage) => {
        stream.status = res.statusCode ?? 0;
        stream.contentType = String(res.headers['content-type'] ?? '');
        stream.requestId = String(res.headers['x-request-id'] ?? '');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => stream.feed(chunk));
        res.on('end', () => stream.finish());
        res.on('error', () => stream.finish());
        resolve(stream);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves once `ready()` holds (checked after every event), or rejects after `timeoutMs`. */
  async until(ready: (stream: SseStream) => boolean, timeoutMs = 10_000, what = 'the expected events'): Promise<void> {
    if (ready(this)) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!ready(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The put and delete events, as {event, key, value, version}. */
  changes(): Array<{ event: string; key: string; value: unknown; version: number }> {
    return this.events
      .filter((e) => e.event === 'put' || e.event === 'delete')
      .map((e) => ({ event: e.event, ...(JSON.parse(e.data) as { key: string; value: unknown; version: number }) }));
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\u0000')) this.lastEventId = value;
  }

  private dispatch(): void {
    const data = this.data;
    const eventType = this.eventType;
    this.data = [];
    this.eventType = '';
    if (data.length > 0)
      this.events.push({ event: eventType || 'message', data: data.join('\n'), lastEventId: this.lastEventId });
    for (const waiter of [...this.waiters]) waiter();
  }

  private finish(): void {
    this.ended = true;
    for (const waiter of [...this.waiters]) waiter();
  }
}
