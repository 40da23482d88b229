/**
 * The network between the nodes: one TCP proxy (node:net) per directed link
 * A→B, listening on its own port on 127.0.0.1. Node A's PEERS list B at that
 * proxy's port, so every byte A's HTTP clients send to B, and every byte of
 * B's answers on those connections, passes through it.
 *
 * Link state is kept per direction of travel: `link(A, B)` governs the bytes
 * node A sends to node B, whichever side opened the connection. So the proxy
 * A→B applies `link(A, B)` to the request bytes (A to B) and `link(B, A)` to
 * the response bytes (B to A). Cutting A→B only (a one-way partition) then
 * means: A's requests to B vanish, and so do A's answers to B's requests.
 *
 * What a cut does to the bytes (`CutStyle`):
 *  - drop:  accepted, silently discarded (a blackhole: the sender times out).
 *           The connection is broken afterwards, so it is reset on heal.
 *  - hold:  accepted and kept; delivered, in order, when the link heals (like
 *           TCP retransmitting after a partition): stale messages arrive late.
 *  - reset: new connections are refused (the listener closes: ECONNREFUSED)
 *           and existing ones are reset (ECONNRESET).
 * Independently of cuts, each direction can add a latency per chunk, with
 * jitter; order within a connection is always kept.
 */
import net from 'node:net';

export type CutStyle = 'drop' | 'hold' | 'reset';

export interface LinkState {
  readonly cut?: CutStyle;
  readonly delayMs: number;
  readonly jitterMs: number;
}

const PASS: LinkState = Object.freeze({ delayMs: 0, jitterMs: 0 });
/** Beyond this many held bytes on one connection and direction, further bytes are dropped. */
const MAX_HELD_BYTES = 4 * 1024 * 1024;
const LISTEN_ATTEMPTS = 50;

type Item = { readonly chunk: Buffer } | { readonly end: true };

/** One direction of one proxied connection. */
class Channel {
  private readonly held: Item[] = [];
  private heldBytes = 0;
  private lastReleaseAt = 0;
  private pendingTimers = 0;
  private releasing = 0;
  private ended = false;

  constructor(
    private readonly connection: ProxiedConnection,
    private readonly sink: () => net.Socket | undefined,
    private readonly state: () => LinkState,
  ) {}

  push(item: Item): void {
    const state = this.state();
    if (state.cut === 'reset') {
      this.connection.reset();
      return;
    }
    if (state.cut === 'drop') {
      if ('chunk' in item) this.connection.tainted = true;
      else this.held.push(item); // an end is not data: keep it for the heal
      return;
    }
    if (state.cut === 'hold' || this.held.length > 0) {
      if ('chunk' in item) {
        if (this.heldBytes + item.chunk.length > MAX_HELD_BYTES) {
          this.connection.tainted = true;
          return;
        }
        this.heldBytes += item.chunk.length;
      }
      this.held.push(item);
      if (state.cut !== 'hold') this.release();
      return;
    }
    this.deliver(item, state);
  }

  /** The link's state changed: deliver what was held if it no longer holds. */
  release(): void {
    const state = this.state();
    if (state.cut !== undefined) return;
    const items = this.held.splice(0);
    this.heldBytes = 0;
    this.releasing = items.length;
    for (const item of items) {
      this.releasing--;
      this.deliver(item, state);
    }
  }

  private deliver(item: Item, state: LinkState): void {
    const now = Date.now();
    const delay = state.delayMs + (state.jitterMs > 0 ? Math.random() * state.jitterMs : 0);
    if (delay <= 0 && this.pendingTimers === 0) {
      this.write(item);
      return;
    }
    const releaseAt = Math.max(now + delay, this.lastReleaseAt);
    this.lastReleaseAt = releaseAt;
    this.pendingTimers++;
    setTimeout(() => {
      this.pendingTimers--;
      this.write(item);
    }, releaseAt - now);
  }

  /** Bytes still held or waiting for their delay. */
  busy(): boolean {
    return this.held.length > 0 || this.pendingTimers > 0 || this.releasing > 0;
  }

  private write(item: Item): void {
    const sink = this.sink();
    if (sink === undefined || sink.destroyed || this.ended) return;
    if ('end' in item) {
      this.ended = true;
      sink.end();
    } else {
      sink.write(item.chunk);
    }
    // The sender is gone and this was the last of its bytes: close like it did.
    if (this.connection.orphaned && !this.busy() && !this.ended) {
      this.ended = true;
      sink.end();
    }
  }
}

class ProxiedConnection {
  tainted = false;
  /** The connecting side has closed, but bytes it sent are still on their way. */
  orphaned = false;
  private upstream?: net.Socket;
  private readonly toTarget: Channel;
  private readonly toSource: Channel;
  private closed = false;

  constructor(
    private readonly proxy: LinkProxy,
    private readonly client: net.Socket,
  ) {
    const network = proxy.network;
    this.toTarget = new Channel(
      this,
      () => this.upstream,
      () => network.link(proxy.from, proxy.to),
    );
    this.toSource = new Channel(
      this,
      () => this.client,
      () => network.link(proxy.to, proxy.from),
    );
    client.setNoDelay(true);
    client.on('error', () => undefined);
    // A sender that gave up (a client timeout closes its socket) does not take
    // back the bytes already in the network: held or delayed requests are still
    // delivered, late, when the link heals. Only then is the connection closed.
    client.on('close', () => {
      if (this.toTarget.busy()) this.orphaned = true;
      else this.reset();
    });
    client.on('data', (chunk: Buffer) => this.toTarget.push({ chunk }));
    client.on('end', () => this.toTarget.push({ end: true }));

    const upstream = net.connect({ host: '127.0.0.1', port: proxy.targetPort });
    upstream.setNoDelay(true);
    upstream.on('error', () => this.reset());
    upstream.on('close', () => this.reset());
    upstream.on('data', (chunk: Buffer) => this.toSource.push({ chunk }));
    upstream.on('end', () => this.toSource.push({ end: true }));
    // Writes before the connection is established are buffered by the socket.
    this.upstream = upstream;
  }

  /** The link state changed. */
  refresh(): void {
    if (this.closed) return;
    const network = this.proxy.network;
    const up = network.link(this.proxy.from, this.proxy.to);
    const down = network.link(this.proxy.to, this.proxy.from);
    if (up.cut === 'reset' || down.cut === 'reset') {
      this.reset();
      return;
    }
    if (this.tainted && up.cut === undefined && down.cut === undefined && !this.orphaned) {
      // Bytes were thrown away in the middle of a stream: it cannot be resumed.
      this.reset();
      return;
    }
    this.toTarget.release();
    this.toSource.release();
  }

  reset(): void {
    if (this.closed) return;
    this.closed = true;
    this.proxy.forget(this);
    for (const socket of [this.client, this.upstream]) if (socket && !socket.destroyed) resetOrDestroy(socket);
  }
}

/**
 * Closes a socket with a reset (RST) where it can. Not while its end() is still
 * shutting down (ended, not yet finished): resetAndDestroy() then fails with
 * EINVAL, and Node 20 neither closes the handle nor forgets it, so the process,
 * once everything else is done, spins forever at exit waiting for that handle to
 * close (this kept Jest from exiting after the chaos suite). Such a socket is
 * closed plainly; its FIN is on its way anyway.
 */
function resetOrDestroy(socket: net.Socket): void {
  if (socket.writableEnded && !socket.writableFinished) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy(); // not a TCP handle
  }
}

/** The proxy of the directed link from → to (connections opened by `from` towards `to`). */
export class LinkProxy {
  private server?: net.Server;
  private readonly connections = new Set<ProxiedConnection>();
  private listening = false;
  private transition: Promise<void> = Promise.resolve();

  constructor(
    readonly network: Network,
    readonly from: string,
    readonly to: string,
    readonly port: number,
    readonly targetPort: number,
  ) {}

  /** Listens when it should (link not reset, target up), closes otherwise; resets/refreshes connections. */
  refresh(): Promise<void> {
    const shouldListen = this.network.link(this.from, this.to).cut !== 'reset' && this.network.isUp(this.to);
    for (const connection of [...this.connections]) connection.refresh();
    this.transition = this.transition.then(() => (shouldListen ? this.listen() : this.unlisten()));
    return this.transition;
  }

  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) connection.reset();
    this.transition = this.transition.then(() => this.unlisten());
    await this.transition;
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    for (let attempt = 1; ; attempt++) {
      const server = net.createServer((socket) => {
        // Accepted just as the link went down: behave as if refused.
        if (!this.listening) return socket.resetAndDestroy();
        this.connections.add(new ProxiedConnection(this, socket));
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: this.port, host: '127.0.0.1', exclusive: true }, () => resolve());
        });
        server.on('error', () => undefined);
        this.server = server;
        this.listening = true;
        return;
      } catch (error) {
        if (attempt >= LISTEN_ATTEMPTS) {
          throw new Error(`proxy ${this.from}->${this.to} cannot listen on ${this.port}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private async unlisten(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const server = this.server!;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // close() waits for accepted connections; they are tracked and reset separately.
      setTimeout(resolve, 50);
    });
  }
}

/** The link table and the proxies that apply it. */
export class Network {
  private readonly links = new Map<string, LinkState>();
  private readonly down = new Set<string>();
  private readonly proxies: LinkProxy[] = [];

  link(from: string, to: string): LinkState {
    return this.links.get(`${from}>${to}`) ?? PASS;
  }

  isUp(node: string): boolean {
    return !this.down.has(node);
  }

  /** Creates and starts the proxy for connections opened by `from` to `to`. */
  async addProxy(from: string, to: string, port: number, targetPort: number): Promise<LinkProxy> {
    const proxy = new LinkProxy(this, from, to, port, targetPort);
    this.proxies.push(proxy);
    await proxy.refresh();
    return proxy;
  }

  /** Sets the bytes `from` sends to `to`; unspecified fields are kept. */
  setLink(from: string, to: string, change: Partial<LinkState> & { cut?: CutStyle | undefined }): void {
    const current = this.link(from, to);
    const next: LinkState = { ...current, ...change };
    if (next.cut === undefined && next.delayMs === 0 && next.jitterMs === 0) this.links.delete(`${from}>${to}`);
    else this.links.set(`${from}>${to}`, next);
  }

  /** Cuts every link between different groups, both directions. */
  partition(groups: readonly (readonly string[])[], style: CutStyle): Promise<void> {
    for (const [i, a] of groups.entries()) {
      for (const [j, b] of groups.entries()) {
        if (i === j) continue;
        for (const from of a) for (const to of b) this.setLink(from, to, { cut: style });
      }
    }
    return this.apply();
  }

  /** Cuts only the bytes travelling from each node of `senders` to each node of `receivers`. */
  cutOneWay(senders: readonly string[], receivers: readonly string[], style: CutStyle): Promise<void> {
    for (const from of senders) for (const to of receivers) if (from !== to) this.setLink(from, to, { cut: style });
    return this.apply();
  }

  delay(pairs: ReadonlyArray<readonly [string, string]>, delayMs: number, jitterMs: number): Promise<void> {
    for (const [from, to] of pairs) this.setLink(from, to, { delayMs, jitterMs });
    return this.apply();
  }

  /** Every link passes again, with no delay; held bytes are delivered, broken connections reset. */
  heal(): Promise<void> {
    this.links.clear();
    return this.apply();
  }

  /** The target process died (its port refuses) or came back. */
  setNodeUp(node: string, up: boolean): Promise<void> {
    if (up) this.down.delete(node);
    else this.down.add(node);
    return this.apply();
  }

  describe(): Record<string, LinkState> {
    return Object.fromEntries(this.links);
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
  }

  private async apply(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.refresh()));
  }
}
