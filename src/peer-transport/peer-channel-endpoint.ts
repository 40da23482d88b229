import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { CHANNEL_PROTOCOL, ErrorFrameBody, FrameWriter, readFrames, RequestFrame } from './peer-channel-frames';

/** Answers one method's requests; what it throws becomes an error frame. */
export type ChannelHandler = (body: unknown) => Promise<unknown>;

export interface PeerChannelEndpointOptions {
  /** The URL path of the upgrade request (`/internal/v1/channel`). */
  readonly path: string;
  /** Whether an Authorization header proves cluster membership. */
  readonly authorized: (header: string | undefined) => boolean;
  /** Longest request frame accepted, in characters. */
  readonly maxFrameChars: number;
  /** Status and message for anything a handler throws (an unknown error: 500). */
  readonly describeError: (error: unknown) => ErrorFrameBody;
  /** Checks a request body before its handler runs: a message makes it a 400. */
  readonly rejectBody?: (body: unknown) => string | undefined;
}

/**
 * The serving side of the peer channel (see peer-channel-frames.ts), on the
 * node's own HTTP server: it takes the upgrade, checks the cluster secret
 * and runs each frame through the handler registered for its method, the
 * same one the method's HTTP route runs. Free of Nest, so it can be tested on
 * a bare node:http server.
 */
export class PeerChannelEndpoint {
  private readonly handlers = new Map<string, ChannelHandler>();
  private readonly sockets = new Set<Duplex>();
  private inFlight = 0;
  private draining = false;
  private drained?: () => void;

  constructor(private readonly options: PeerChannelEndpointOptions) {}

  handle(method: string, handler: ChannelHandler): void {
    this.handlers.set(method, handler);
  }

  listen(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(request, socket, head),
    );
  }

  /**
   * Stops taking requests (new ones are answered `unread`, so a caller may run
   * them elsewhere), waits up to `graceMs` for those being answered, then
   * closes every channel.
   */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const socket of this.sockets) socket.end();
    this.sockets.clear();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy()); // a peer's reset must not become an uncaught error
    const path = (request.url ?? '').split('?')[0];
    if (path !== this.options.path) return refuse(socket, 404, `no upgrade at ${path}`);
    if (request.headers.upgrade?.toLowerCase() !== CHANNEL_PROTOCOL)
      return refuse(socket, 400, `upgrade to ${CHANNEL_PROTOCOL} only`);
    if (!this.options.authorized(request.headers.authorization))
      return refuse(socket, 401, 'peer API: missing or wrong cluster secret');
    if (this.draining) return refuse(socket, 503, 'this node is shutting down');

    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${CHANNEL_PROTOCOL}\r\n\r\n`);
    this.serve(socket, head);
  }

  private serve(socket: Duplex, head: Buffer): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    (socket as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    const writer = new FrameWriter(socket);
    readFrames<RequestFrame>(
      socket,
      head,
      this.options.maxFrameChars,
      (frame) => this.run(socket, writer, frame),
      () => socket.destroy(), // the peer reconnects
    );
  }

  private run(socket: Duplex, writer: FrameWriter, frame: RequestFrame): void {
    if (typeof frame !== 'object' || frame === null || !Number.isSafeInteger(frame.i) || typeof frame.m !== 'string') {
      throw new Error('not a request frame');
    }
    const reply = (payload: object): void => {
      if (!socket.destroyed) writer.write(`${JSON.stringify({ i: frame.i, ...payload })}\n`);
    };
    if (this.draining) return reply({ e: errorBody(503, 'this node is shutting down', true) });
    const handler = this.handlers.get(frame.m);
    if (!handler) return reply({ e: errorBody(404, `no peer method ${frame.m}`) });
    const rejected = this.options.rejectBody?.(frame.b);
    if (rejected) return reply({ e: errorBody(400, rejected) });

    this.inFlight += 1;
    let answered: Promise<unknown>;
    try {
      answered = handler(frame.b);
    } catch (error) {
      answered = Promise.reject(error);
    }
    answered
      .then(
        (body) => reply({ b: body }),
        (error: unknown) => reply({ e: this.options.describeError(error) }),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.inFlight === 0) this.drained?.();
      })
      .catch(() => undefined);
  }
}

function errorBody(statusCode: number, message: string, unread = false): ErrorFrameBody {
  return unread ? { statusCode, message, unread } : { statusCode, message };
}

/** An HTTP error answer on a socket that asked to upgrade, in the service's one error shape. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
