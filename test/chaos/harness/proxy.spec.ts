import net from 'node:net';
import { Network } from './proxy';

/** A TCP server that records what it receives and answers every chunk with "ack:<chunk>". */
async function startTarget() {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      socket.write(`ack:${chunk.toString()}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function connect(port: number): Promise<{ socket: net.Socket; data: string[]; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const data: string[] = [];
    const socket = net.connect({ port, host: '127.0.0.1' });
    const closed = new Promise<string>((done) => {
      let error = 'closed';
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => done(error));
    });
    socket.on('data', (chunk) => data.push(chunk.toString()));
    socket.once('connect', () => resolve({ socket, data, closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('chaos link proxy', () => {
  let network: Network;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let port: number;

  beforeEach(async () => {
    network = new Network();
    target = await startTarget();
    port = await freePort();
    await network.addProxy('a', 'b', port, target.port);
  });

  afterEach(async () => {
    await network.close();
    await target.close();
  });

  it('passes bytes both ways', async () => {
    const client = await connect(port);
    client.socket.write('hello');
    await until(() => client.data.join('') === 'ack:hello');
    expect(target.received).toEqual(['hello']);
    client.socket.destroy();
  });

  it('drops the bytes of a cut direction, and resets the broken connection on heal', async () => {
    const client = await connect(port);
    await network.cutOneWay(['a'], ['b'], 'drop');
    client.socket.write('lost');
    await sleep(100);
    expect(target.received).toEqual([]);
    await network.heal();
    expect(await client.closed).toBe('ECONNRESET');
    const again = await connect(port);
    again.socket.write('after');
    await until(() => again.data.join('') === 'ack:after');
    again.socket.destroy();
  });

  it('cuts only the answers when only the reverse direction is cut', async () => {
    const client = await connect(port);
    await network.cutOneWay(['b'], ['a'], 'drop');
    client.socket.write('one-way');
    await until(() => target.received.length === 1);
    await sleep(100);
    expect(client.data).toEqual([]);
    client.socket.destroy();
  });

  it('holds bytes while cut and delivers them in order on heal, even after the sender gave up', async () => {
    const client = await connect(port);
    await network.partition([['a'], ['b']], 'hold');
    client.socket.write('first;');
    await sleep(20);
    client.socket.write('second');
    await sleep(50);
    expect(target.received).toEqual([]);
    client.socket.destroy();
    await sleep(50);
    await network.heal();
    await until(() => target.received.join('') === 'first;second');
  });

  it('refuses new connections and resets existing ones under a reset cut, and accepts again after heal', async () => {
    const client = await connect(port);
    client.socket.write('x');
    await until(() => client.data.length === 1);
    await network.partition([['a'], ['b']], 'reset');
    expect(await client.closed).toBe('ECONNRESET');
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await network.heal();
    const again = await connect(port);
    again.socket.write('y');
    await until(() => again.data.join('') === 'ack:y');
    again.socket.destroy();
  });

  it('refuses connections while the target node is down', async () => {
    await network.setNodeUp('b', false);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await network.setNodeUp('b', true);
    const client = await connect(port);
    client.socket.destroy();
  });

  it('adds latency per direction and keeps the order', async () => {
    const client = await connect(port);
    await network.delay([['a', 'b']], 150, 0);
    const started = Date.now();
    client.socket.write('1');
    await sleep(5);
    client.socket.write('2');
    await until(() => client.data.join('').includes('ack:2'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(target.received.join('')).toBe('12');
    client.socket.destroy();
  });
});
