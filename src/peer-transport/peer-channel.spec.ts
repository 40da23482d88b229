import { createServer, request, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { PeerCallError } from './peer-call-error';
import { PeerChannel } from './peer-channel';
import { PeerChannelEndpoint } from './peer-channel-endpoint';
import { CHANNEL_PROTOCOL } from './peer-channel-frames';

const SECRET_HEADER = 'Bearer right';
const MAX_FRAME = 10_000;

interface Served {
  readonly url: string;
  readonly endpoint: PeerChannelEndpoint;
  /** Channels opened so far (upgrade requests that got past the checks). */
  readonly upgrades: () => number;
  /** The server side of every channel, to break them. */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A bare node:http server carrying the endpoint, on a loopback port. */
async function serve(): Promise<Served> {
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  const endpoint = new PeerChannelEndpoint({
    path: '/internal/v1/channel',
    authorized: (header) => header === SECRET_HEADER,
    maxFrameChars: MAX_FRAME,
    describeError: (error) => {
      const status = (error as { status?: number }).status;
      return { statusCode: status ?? 500, message: (error as Error).message };
    },
    rejectBody: (body) => ((body as { bad?: boolean })?.bad ? 'bad body' : undefined),
  });
  let upgrades = 0;
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket) => {
    if (req.headers.authorization === SECRET_HEADER) upgrades += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  endpoint.listen(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    endpoint,
    upgrades: () => upgrades,
    sockets,
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function channelTo(url: string, authorization = SECRET_HEADER): PeerChannel {
  return new PeerChannel({ url, apiPrefix: 'internal/v1', authorization, maxFrameChars: MAX_FRAME });
}

async function failureOf(call: Promise<unknown>): Promise<PeerCallError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof PeerCallError)) throw new Error(`expected a PeerCallError, got ${String(error)}`);
  return error;
}

const once = { idempotent: false };
const repeatable = { idempotent: true };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('PeerChannel and PeerChannelEndpoint (real sockets)', () => {
  let served: Served;
  let channel: PeerChannel;
  beforeEach(async () => {
    served = await serve();
    channel = channelTo(served.url);
  });
  afterEach(async () => {
    channel.close();
    await served.close();
  });

  it('carries many calls on one connection, each answered with its own reply, in any order', async () => {
    served.endpoint.handle('echo', async (body) => {
      const { n } = body as { n: number };
      await sleep((10 - n) * 3); // later calls finish first
      return { n, doubled: n * 2, text: 'é' };
    });
    const replies = await Promise.all(Array.from({ length: 10 }, (_, n) => channel.call('echo', { n }, 2000, once)));
    expect(replies).toEqual(Array.from({ length: 10 }, (_, n) => ({ n, doubled: n * 2, text: 'é' })));
    await channel.call('echo', { n: 9 }, 2000, once);
    expect(served.upgrades()).toBe(1);
  });

  it('is refused (never delivered) with 401 and the error shape without the cluster secret, and nothing runs', async () => {
    let ran = false;
    served.endpoint.handle('echo', async () => (ran = true));
    const intruder = channelTo(served.url, 'Bearer wrong');
    try {
      const error = await failureOf(intruder.call('echo', {}, 2000, once));
      expect(error).toMatchObject({ failure: 'refused', status: 401 });
      expect(error.message).toContain('"statusCode":401');
      expect(ran).toBe(false);
    } finally {
      intruder.close();
    }
  });

  it('answers a plain HTTP 401 to an upgrade without the secret, and 404 elsewhere', async () => {
    const statusOf = (path: string, headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(`${served.url}${path}`, {
          headers: { connection: 'Upgrade', upgrade: CHANNEL_PROTOCOL, ...headers },
        });
        req.on('response', (response) => resolve(response.statusCode ?? 0));
        req.on('upgrade', () => reject(new Error('upgraded')));
        req.on('error', reject);
        req.end();
      });
    expect(await statusOf('/internal/v1/channel', {})).toBe(401);
    expect(await statusOf('/elsewhere', { authorization: SECRET_HEADER })).toBe(404);
  });

  it('reports a refused connection as `refused`: the peer never saw the call', async () => {
    const { url } = served;
    await served.close();
    served = await serve(); // another port; the old one is closed
    const orphan = channelTo(url);
    try {
      expect(await failureOf(orphan.call('echo', {}, 2000, once))).toMatchObject({
        failure: 'refused',
        code: 'ECONNREFUSED',
      });
    } finally {
      orphan.close();
    }
  });

  it("turns a handler's error, an unknown method and a rejected body into `status` failures", async () => {
    served.endpoint.handle('fails', async () => {
      throw Object.assign(new Error('acceptor not voting'), { status: 503 });
    });
    served.endpoint.handle('echo', async (body) => body);
    expect(await failureOf(channel.call('fails', {}, 2000, once))).toMatchObject({ failure: 'status', status: 503 });
    expect(await failureOf(channel.call('nope', {}, 2000, once))).toMatchObject({ failure: 'status', status: 404 });
    expect(await failureOf(channel.call('echo', { bad: true }, 2000, once))).toMatchObject({
      failure: 'status',
      status: 400,
    });
    expect(await channel.call('echo', { fine: true }, 2000, once)).toEqual({ fine: true });
  });

  it('times out a call with no answer, and after that silence opens a fresh connection', async () => {
    served.endpoint.handle('hang', () => new Promise(() => undefined));
    served.endpoint.handle('echo', async (body) => body);
    const started = Date.now();
    expect(await failureOf(channel.call('hang', {}, 100, once))).toMatchObject({ failure: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await channel.call('echo', { after: 1 }, 2000, once)).toEqual({ after: 1 });
    expect(served.upgrades()).toBe(2);
  });

  it('resends an idempotent call once when its connection breaks, but not a call that may not run twice', async () => {
    let runs = 0;
    served.endpoint.handle('count', async () => {
      runs += 1;
      if (runs === 1)
        served.sockets.forEach((socket) => socket.destroy()); // the connection dies with the call read
      else return { runs };
      return new Promise(() => undefined);
    });
    expect(await channel.call('count', {}, 2000, repeatable)).toEqual({ runs: 2 });

    runs = 0;
    expect(await failureOf(channel.call('count', {}, 2000, once))).toMatchObject({ failure: 'stale' });
    expect(runs).toBe(1);
  });

  it('on close, finishes the calls it is answering and turns new ones and new channels away unread (`refused`)', async () => {
    let release!: () => void;
    served.endpoint.handle('slow', () => new Promise((resolve) => (release = () => resolve({ done: true }))));
    served.endpoint.handle('echo', async (body) => body);
    const slow = channel.call('slow', {}, 2000, once);
    await sleep(50);
    const closing = served.endpoint.close(2000);
    expect(await failureOf(channel.call('echo', {}, 2000, once))).toMatchObject({ failure: 'refused', status: 503 });
    const latecomer = channelTo(served.url);
    try {
      expect(await failureOf(latecomer.call('echo', {}, 2000, once))).toMatchObject({
        failure: 'refused',
        status: 503,
      });
    } finally {
      latecomer.close();
    }
    release();
    expect(await slow).toEqual({ done: true });
    await closing;
  });

  it('drops a connection that sends a malformed or oversized frame, and keeps serving others', async () => {
    served.endpoint.handle('echo', async (body) => body);
    const raw = async (payload: string): Promise<boolean> => {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const req = request(`${served.url}/internal/v1/channel`, {
          headers: { connection: 'Upgrade', upgrade: CHANNEL_PROTOCOL, authorization: SECRET_HEADER },
        });
        req.on('upgrade', (_response, upgraded: Socket) => resolve(upgraded));
        req.on('error', reject);
        req.end();
      });
      const closed = new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)));
      socket.on('error', () => undefined);
      socket.write(payload);
      return Promise.race([closed, sleep(1000).then(() => false)]).finally(() => socket.destroy());
    };
    expect(await raw('not json\n')).toBe(true);
    expect(await raw('{"i":"x","m":1}\n')).toBe(true);
    expect(await raw('x'.repeat(MAX_FRAME + 10))).toBe(true);
    expect(await channel.call('echo', { still: 'serving' }, 2000, once)).toEqual({ still: 'serving' });
  });
});
