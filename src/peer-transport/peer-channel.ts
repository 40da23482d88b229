import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Socket } from 'node:net';
import { PeerCallError } from './peer-call-error';
import { CHANNEL_PATH_SUFFIX, CHANNEL_PROTOCOL, FrameWriter, readFrames, ReplyFrame } from './peer-channel-frames';

/** How long opening the channel (TCP connect and the upgrade handshake) may take. */
export const CHANNEL_OPEN_TIMEOUT_MS = 2_000;
/** Most bytes of a refused handshake's answer kept for the message. */
const ERROR_BODY_SNIPPET = 300;

interface Pending {
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: PeerCallError) => void;
  readonly timer: NodeJS.Timeout;
}

interface OpenChannel {
  readonly socket: Socket;
  readonly writer: FrameWriter;
  readonly pending: Map<number, Pending>;
  /** Reads from the peer so far: unchanged since a call was written means silence since. */
  reads: number;
}

export interface PeerChannelOptions {
  /** The peer's base URL (`http://node2:8000`); the channel is opened at `<url>/<apiPrefix>/channel`. */
  readonly url: string;
  readonly apiPrefix: string;
  /** The Authorization header value that proves cluster membership. */
  readonly authorization: string;
  /** Longest reply frame accepted, in characters. */
  readonly maxFrameChars: number;
}

/**
 * One long-lived connection to one peer that carries every call this node
 * makes on the hot path (acceptor calls, forwarded operations), many at once,
 * as JSON frames (see peer-channel-frames.ts). Opened on first use and again
 * after it breaks.
 *
 * Why not one HTTP request per call: a request and its answer cost ~100 µs
 * of CPU on the two sides through node:http and a bare Fastify route (more
 * through Nest), a frame on an open socket ~30 µs (bench/peer-transport.ts,
 * bench/results/peer-transport.txt); a replicated write makes one to two
 * such calls.
 */
export class PeerChannel {
  private readonly target: string;
  private channel?: OpenChannel;
  private opening?: Promise<OpenChannel>;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: PeerChannelOptions) {
    this.target = new URL(options.url).host;
  }

  /**
   * Resolves with the peer's reply to `method` (a peer API path such as
   * `accept`); rejects with PeerCallError. A call whose connection broke
   * before its answer is sent once more on a fresh connection, within what is
   * left of `timeoutMs`, only when `idempotent`: the peer may have acted on it.
   */
  async call<Reply>(
    method: string,
    body: unknown,
    timeoutMs: number,
    options: { idempotent: boolean },
  ): Promise<Reply> {
    const frame = (id: number): string => `${JSON.stringify({ i: id, m: method, b: body })}\n`;
    const deadline = Date.now() + timeoutMs;
    try {
      return (await this.send(frame, deadline)) as Reply;
    } catch (error) {
      if (!(options.idempotent && error instanceof PeerCallError && error.failure === 'stale')) throw error;
      return (await this.send(frame, deadline)) as Reply;
    }
  }

  /** Closes the connection; calls in flight fail and later calls are refused. */
  close(): void {
    this.closed = true;
    if (this.channel) this.drop(this.channel, 'the channel was closed');
  }

  private async send(frame: (id: number) => string, deadline: number): Promise<unknown> {
    const channel = await this.open(deadline);
    // It broke while we waited for it to open: nothing was written on it.
    if (this.channel !== channel)
      throw new PeerCallError(`${this.target}: connection closed before sending`, 'refused');
    const id = ++this.nextId;
    const sentAt = Date.now();
    const readsBefore = channel.reads;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          channel.pending.delete(id);
          reject(new PeerCallError(`${this.target}: no reply within the budget`, 'timeout'));
          // Silence since we wrote means the connection may be dead (a peer
          // that vanished without closing it): start afresh on the next call.
          if (channel.reads === readsBefore) this.drop(channel, 'no reply, connection dropped');
        },
        Math.max(1, deadline - sentAt),
      );
      channel.pending.set(id, { resolve, reject, timer });
      channel.writer.write(frame(id));
    });
  }

  private async open(deadline: number): Promise<OpenChannel> {
    if (this.closed) throw new PeerCallError(`${this.target}: the channel was closed`, 'refused');
    if (this.channel) return this.channel;
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    const opening = this.opening;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new PeerCallError(`${this.target}: channel not open within the budget`, 'timeout')),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([opening, budget]);
    } finally {
      clearTimeout(timer);
    }
  }

  private connect(): Promise<OpenChannel> {
    const url = new URL(`${this.options.url}/${this.options.apiPrefix}/${CHANNEL_PATH_SUFFIX}`);
    return new Promise<OpenChannel>((resolve, reject) => {
      const request: ClientRequest = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method: 'GET',
        agent: false,
        headers: { connection: 'Upgrade', upgrade: CHANNEL_PROTOCOL, authorization: this.options.authorization },
        timeout: CHANNEL_OPEN_TIMEOUT_MS,
      });
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('handshake timed out'), { code: 'ETIMEDOUT' })),
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        const failure = error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ETIMEDOUT' ? 'timeout' : 'network';
        reject(new PeerCallError(`${this.target}: ${error.message}`, failure, error.code));
      });
      // Frames go only on an open channel: a peer that answers the upgrade with
      // an error (401, or 503 while it shuts down) has seen none of this call.
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        // readSnippet never rejects (a failed read gives what arrived so far).
        void readSnippet(response).then((text) => {
          reject(
            new PeerCallError(`${this.target}: channel refused, HTTP ${status} ${text}`, 'refused', undefined, status),
          );
        });
      });
      request.on('upgrade', (_response: IncomingMessage, socket: Socket, head: Buffer) => {
        if (this.closed) {
          socket.destroy();
          reject(new PeerCallError(`${this.target}: the channel was closed`, 'refused'));
          return;
        }
        resolve(this.attach(socket, head));
      });
      request.end();
    });
  }

  private attach(socket: Socket, head: Buffer): OpenChannel {
    const channel: OpenChannel = { socket, writer: new FrameWriter(socket), pending: new Map(), reads: 0 };
    this.channel = channel;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', () => (channel.reads += 1));
    if (head.length > 0) channel.reads += 1;
    readFrames<ReplyFrame>(
      socket,
      head,
      this.options.maxFrameChars,
      (reply) => this.settle(channel, reply),
      (error) => this.drop(channel, `bad frame from the peer (${error.message})`),
    );
    socket.on('error', (error) => this.drop(channel, error.message));
    socket.on('close', () => this.drop(channel, 'connection closed'));
    return channel;
  }

  private settle(channel: OpenChannel, reply: ReplyFrame): void {
    const pending = channel.pending.get(reply.i);
    if (!pending) return; // its caller gave up (timeout); the answer is moot
    channel.pending.delete(reply.i);
    clearTimeout(pending.timer);
    if (reply.e === undefined) {
      pending.resolve(reply.b);
      return;
    }
    const { statusCode, message, unread } = reply.e;
    pending.reject(
      unread
        ? new PeerCallError(`${this.target}: ${message}`, 'refused', undefined, statusCode)
        : new PeerCallError(`${this.target}: HTTP ${statusCode} ${message}`, 'status', undefined, statusCode),
    );
  }

  /** Forgets a broken connection; its calls in flight fail as `stale`: the peer may or may not have read them. */
  private drop(channel: OpenChannel, reason: string): void {
    if (this.channel === channel) this.channel = undefined;
    channel.socket.destroy();
    const pending = [...channel.pending.values()];
    channel.pending.clear();
    for (const call of pending) {
      clearTimeout(call.timer);
      call.reject(new PeerCallError(`${this.target}: ${reason}`, 'stale'));
    }
  }
}

function readSnippet(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (text.length < ERROR_BODY_SNIPPET) text += chunk;
    });
    response.on('end', () => resolve(text.slice(0, ERROR_BODY_SNIPPET)));
    response.on('error', () => resolve(text.slice(0, ERROR_BODY_SNIPPET)));
  });
}
