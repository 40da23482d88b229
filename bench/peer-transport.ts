/**
 * CPU per call between two nodes, both sides counted: one HTTP request per
 * call (node:http keep-alive client, Fastify route: the floor of what a Nest
 * route costs) against a frame on the peer channel (PeerChannel and
 * PeerChannelEndpoint, as the service uses them). Client and server share
 * this process, so process.cpuUsage() covers both. Rounds alternate between
 * the two; medians.
 *
 *   node -r @swc-node/register bench/peer-transport.ts [--rounds 5] [--calls 20000] [--concurrency 8]
 */
import Fastify from 'fastify';
import { Agent, createServer, request } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { PeerChannel } from '../src/peer-transport/peer-channel';
import { PeerChannelEndpoint } from '../src/peer-transport/peer-channel-endpoint';
import { median } from './stats';

const AUTH = 'Bearer bench-secret';

/** An accept batch of four keys with 100-byte values, as a cluster write at concurrency 64 sends. */
function acceptBody(): unknown {
  return {
    requests: Array.from({ length: 4 }, () => ({
      key: `key-${Math.floor(Math.random() * 10_000)}`,
      ballot: '00000000000012.00000003.n1',
      next: '00000000000013.00000003.n1',
      state: { present: true, value: 'x'.repeat(98), version: 12 },
    })),
  };
}

function acceptReply(body: unknown): unknown {
  return { replies: (body as { requests: Array<{ key: string }> }).requests.map(({ key }) => ({ key, ok: true })) };
}

type Call = (body: unknown) => Promise<unknown>;

async function httpTransport(): Promise<{ call: Call; close: () => Promise<void> }> {
  const server = Fastify();
  server.post('/internal/v1/accept', async (req) => acceptReply(req.body));
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const call: Call = (body) =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/internal/v1/accept',
        method: 'POST',
        agent,
        headers: { authorization: AUTH, 'content-type': 'application/json', 'content-length': payload.length },
      });
      req.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    call,
    close: async () => {
      agent.destroy();
      await server.close();
    },
  };
}

async function channelTransport(): Promise<{ call: Call; close: () => Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const endpoint = new PeerChannelEndpoint({
    path: '/internal/v1/channel',
    authorized: (header) => header === AUTH,
    maxFrameChars: 1 << 24,
    describeError: () => ({ statusCode: 500, message: 'error' }),
  });
  endpoint.handle('accept', async (body) => acceptReply(body));
  endpoint.listen(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const channel = new PeerChannel({
    url: `http://127.0.0.1:${port}`,
    apiPrefix: 'internal/v1',
    authorization: AUTH,
    maxFrameChars: 1 << 24,
  });
  return {
    call: (body) => channel.call('accept', body, 10_000, { idempotent: true }),
    close: async () => {
      channel.close();
      await endpoint.close(0);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** CPU µs per call (both sides) over `calls` calls from `concurrency` callers, after a warm-up. */
async function measure(call: Call, calls: number, concurrency: number): Promise<number> {
  const run = (count: number): Promise<void[]> =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < count / concurrency; i++) await call(acceptBody());
      }),
    );
  await run(Math.min(2000, calls));
  const before = process.cpuUsage();
  await run(calls);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, calls: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const rounds = Number(values.rounds ?? 5);
  const calls = Number(values.calls ?? 20_000);
  const concurrency = Number(values.concurrency ?? 8);
  const transports = { http: await httpTransport(), channel: await channelTransport() };
  const samples: Record<keyof typeof transports, number[]> = { http: [], channel: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? (['http', 'channel'] as const) : (['channel', 'http'] as const);
      for (const name of order) {
        const micros = await measure(transports[name].call, calls, concurrency);
        samples[name].push(micros);
        console.error(`round ${round} ${name}: ${micros.toFixed(1)} µs CPU per call`);
      }
    }
  } finally {
    await Promise.all(Object.values(transports).map((transport) => transport.close()));
  }
  const http = median(samples.http);
  const channel = median(samples.channel);
  console.log(
    `CPU per call, both sides, medians of ${rounds} rounds of ${calls} calls from ${concurrency} callers (4-key accept batches):`,
  );
  console.log(`  HTTP request (node:http client, Fastify route): ${http.toFixed(1)} µs`);
  console.log(`  peer channel frame:                             ${channel.toFixed(1)} µs`);
  console.log(`  channel / HTTP: ${(channel / http).toFixed(2)}x`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
