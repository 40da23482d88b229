import { createServer, Server, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KvClient } from './client';
import { NotFound, PreconditionFailed, RequestRejected, Unavailable } from './errors';

/**
 * The client's retry rules against stand-in nodes on loopback: each answers
 * as a kv-store node would in one situation, and counts what it received.
 */
describe('KvClient retry rules', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  interface Node {
    url: string;
    received: string[];
  }
  async function node(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<Node> {
    const received: string[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(`${request.method} ${request.url}`);
        answer(request, response);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
  }
  /** A port nothing listens on: connections to it are refused. */
  async function refusingUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return `http://127.0.0.1:${port}`;
  }
  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
  const entry = { key: 'k', value: 1, version: 3 };
  const unavailable = (mayHaveTakenEffect: boolean) =>
    json(503, {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'no quorum',
      unreachablePeers: ['n2'],
      mayHaveTakenEffect,
    });
  /** Accepts the connection, reads the request, and closes without an answer. */
  const hangUp = (request: IncomingMessage) => request.socket.destroy();

  it('moves a write to the next node when the connection is refused (the request never left)', async () => {
    const good = await node(json(201, entry));
    const client = new KvClient({ endpoints: [await refusingUrl(), good.url] });
    await expect(client.put('k', 1)).resolves.toEqual({ ...entry, created: true });
    expect(good.received).toEqual(['PUT /kv-store/v1/kv/k']);
  });

  it('does not repeat a write whose connection broke after it was sent, and says it may have taken effect', async () => {
    const broken = await node(hangUp);
    const other = await node(json(200, entry));
    const client = new KvClient({ endpoints: [broken.url, other.url] });
    const error = await client.put('k', 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Unavailable);
    expect((error as Unavailable).mayHaveTakenEffect).toBe(true);
    expect(broken.received).toEqual(['PUT /kv-store/v1/kv/k']);
    expect(other.received).toEqual([]);
  });

  it('repeats a read on the next node after any failure', async () => {
    const broken = await node(hangUp);
    const good = await node(json(200, entry, { etag: '"3"' }));
    const client = new KvClient({ endpoints: [broken.url, good.url] });
    await expect(client.get('k')).resolves.toEqual(entry);
    expect(broken.received).toHaveLength(1);
  });

  it('moves a write on after a 503 that says it had no effect, and not after one that says it may have', async () => {
    const noEffect = await node(unavailable(false));
    const good = await node(json(200, entry));
    await expect(new KvClient({ endpoints: [noEffect.url, good.url] }).put('k', 1)).resolves.toMatchObject({
      version: 3,
    });
    const maybe = await node(unavailable(true));
    const error = await new KvClient({ endpoints: [maybe.url, good.url] })
      .put('k', 1)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'Unavailable', mayHaveTakenEffect: true, status: 503 });
    expect(good.received).toHaveLength(1);
  });

  it('reports Unavailable without effect when every node was refused or said so', async () => {
    const noEffect = await node(unavailable(false));
    const client = new KvClient({ endpoints: [await refusingUrl(), noEffect.url] });
    const error = await client.delete('k').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Unavailable);
    expect(error).toMatchObject({ mayHaveTakenEffect: false, status: 503 });
  });

  it('turns statuses into typed errors, with versions as numbers', async () => {
    const deleted = await node(
      json(404, { statusCode: 404, error: 'Not Found', message: 'no key k' }, { 'x-kv-version': '7' }),
    );
    const notFound = await new KvClient({ endpoints: [deleted.url] }).get('k').catch((caught: unknown) => caught);
    expect(notFound).toBeInstanceOf(NotFound);
    expect(notFound).toMatchObject({ key: 'k', version: 7 });
    const failed = await node(json(412, { statusCode: 412, error: 'Precondition Failed', message: 'version is 4' }));
    await expect(new KvClient({ endpoints: [failed.url] }).put('k', 1, { ifMatch: 3 })).rejects.toBeInstanceOf(
      PreconditionFailed,
    );
    const tooLarge = await node(json(413, { statusCode: 413, error: 'Payload Too Large', message: 'too large' }));
    await expect(new KvClient({ endpoints: [tooLarge.url] }).put('k', 'x')).rejects.toMatchObject({
      name: 'RequestRejected',
      status: 413,
    });
  });

  it('sends conditions as ETags and keys as one encoded path segment', async () => {
    const seen: (string | undefined)[] = [];
    const good = await node((request, response) => {
      seen.push(request.headers['if-match'], request.headers['if-none-match']);
      json(200, entry)(request, response);
    });
    const client = new KvClient({ endpoints: [good.url] });
    await client.put('a/b c', 1, { ifMatch: [3, 4] });
    await client.put('k', 1, { ifNoneMatch: '*' });
    expect(seen).toEqual(['"3", "4"', undefined, undefined, '*']);
    expect(good.received[0]).toBe('PUT /kv-store/v1/kv/a%2Fb%20c');
    await expect(client.get('..')).rejects.toBeInstanceOf(RequestRejected);
  });
});
