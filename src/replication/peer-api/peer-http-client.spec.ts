import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { PeerCallError, PeerHttpClient } from './peer-http-client';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A real HTTP server on a loopback port, answering with `handler`. */
async function serve(handler: Handler): Promise<{ url: (path: string) => URL; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks).toString(), response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: (path) => new URL(`http://127.0.0.1:${port}${path}`), server, sockets };
}

function close(server: Server, sockets: Set<Socket>): Promise<void> {
  sockets.forEach((socket) => socket.destroy());
  return new Promise((resolve) => server.close(() => resolve()));
}

async function failureOf(call: Promise<unknown>): Promise<PeerCallError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof PeerCallError)) throw new Error(`expected a PeerCallError, got ${String(error)}`);
  return error;
}

describe('PeerHttpClient', () => {
  let client: PeerHttpClient;
  beforeEach(() => (client = new PeerHttpClient()));
  afterEach(() => client.onModuleDestroy());

  it('posts the body as JSON with the given headers and resolves with the parsed reply', async () => {
    const seen: Array<{ method?: string; auth?: string; type?: string; body: string }> = [];
    const { url, server, sockets } = await serve((request, body, response) => {
      seen.push({ method: request.method, auth: request.headers.authorization, type: request.headers['content-type'], body });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ echoed: JSON.parse(body) }));
    });
    try {
      const reply = await client.post(url('/x'), { authorization: 'Bearer s' }, { keys: ['a', 'é'] }, 1000);
      expect(reply).toEqual({ echoed: { keys: ['a', 'é'] } });
      expect(seen).toEqual([{ method: 'POST', auth: 'Bearer s', type: 'application/json', body: '{"keys":["a","é"]}' }]);
    } finally {
      await close(server, sockets);
    }
  });

  it('reuses one connection for calls made one after another', async () => {
    const ports = new Set<number>();
    const { url, server, sockets } = await serve((request, _body, response) => {
      ports.add(request.socket.remotePort!);
      response.end('{}');
    });
    try {
      for (let i = 0; i < 5; i++) await client.post(url('/x'), {}, {}, 1000);
      expect(ports.size).toBe(1);
    } finally {
      await close(server, sockets);
    }
  });

  it('reports a non-2xx answer as a status failure with the start of its body', async () => {
    const { url, server, sockets } = await serve((_request, _body, response) => {
      response.statusCode = 401;
      response.end('{"error":"unauthorized"}');
    });
    try {
      const error = await failureOf(client.post(url('/x'), {}, {}, 1000));
      expect(error).toMatchObject({ failure: 'status', status: 401 });
      expect(error.message).toContain('unauthorized');
    } finally {
      await close(server, sockets);
    }
  });

  it('reports a reply that is not JSON as a network failure', async () => {
    const { url, server, sockets } = await serve((_request, _body, response) => response.end('<html>'));
    try {
      expect(await failureOf(client.post(url('/x'), {}, {}, 1000))).toMatchObject({ failure: 'network' });
    } finally {
      await close(server, sockets);
    }
  });

  it('gives up after the budget when the peer does not answer', async () => {
    const { url, server, sockets } = await serve(() => undefined); // never answers
    try {
      const started = Date.now();
      const error = await failureOf(client.post(url('/x'), {}, {}, 100));
      expect(error.failure).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    } finally {
      await close(server, sockets);
    }
  });

  it('reports a refused connection as refused: the peer never saw the request', async () => {
    const { url, server, sockets } = await serve(() => undefined);
    const target = url('/x');
    await close(server, sockets);
    expect(await failureOf(client.post(target, {}, {}, 1000))).toMatchObject({ failure: 'refused', code: 'ECONNREFUSED' });
  });

  it('reports a reset on a pooled connection as stale (resendable if idempotent), on a fresh one as a network failure', async () => {
    let calls = 0;
    const { url, server, sockets } = await serve((request, _body, response) => {
      calls++;
      if (calls === 1) {
        response.end('{}'); // the connection goes back to the pool
        return;
      }
      request.socket.destroy(); // the next request on it dies before any answer
    });
    try {
      await client.post(url('/x'), {}, {}, 1000);
      const onPooled = await failureOf(client.post(url('/x'), {}, {}, 1000));
      expect(onPooled.failure).toBe('stale');
      const onFresh = await failureOf(client.post(url('/x'), {}, {}, 1000));
      expect(onFresh.failure).toBe('network');
    } finally {
      await close(server, sockets);
    }
  });

  it('sends an idempotent call once more on a fresh connection when its pooled one was reset', async () => {
    let calls = 0;
    const { url, server, sockets } = await serve((request, _body, response) => {
      calls++;
      if (calls === 2) {
        request.socket.destroy(); // the call on the pooled connection dies
        return;
      }
      response.end(JSON.stringify({ call: calls }));
    });
    try {
      await client.post(url('/x'), {}, {}, 1000);
      expect(await client.post(url('/x'), {}, {}, 1000, { idempotent: true })).toEqual({ call: 3 });
    } finally {
      await close(server, sockets);
    }
  });
});
