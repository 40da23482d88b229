import http from 'node:http';
import {
  Body,
  Controller,
  Get,
  INestApplication,
  Module,
  NotFoundException,
  BadRequestException,
  Param,
  Put,
  Res,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

export const SERVER_KINDS = ['express', 'fastify', 'node-http'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const MICRO_KEY_COUNT = 1000;

interface Entry {
  key: string;
  value: unknown;
  version: number;
}

/** What both a Fastify reply and an Express response offer, so one controller serves both. */
interface ReplyLike {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * The in-memory stand-in for the kv-store: the same request shape (key in the
 * path, {"value": ...} body, ETag header, 201/200/404) and no storage cost, so
 * what remains is routing, JSON parsing and serialisation, headers: the
 * framework's share of a request.
 */
class MemoryStore {
  private readonly entries = new Map<string, Entry>();

  constructor() {
    for (let index = 0; index < MICRO_KEY_COUNT; index++)
      this.entries.set(`k${index}`, { key: `k${index}`, value: 'x', version: 1 });
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  put(key: string, value: unknown): { entry: Entry; created: boolean } {
    const previous = this.entries.get(key);
    const entry = { key, value, version: (previous?.version ?? 0) + 1 };
    this.entries.set(key, entry);
    return { entry, created: previous === undefined };
  }
}

const etag = (version: number): string => `"${version}"`;

@Controller('kv')
class MemoryKvController {
  private readonly store = new MemoryStore();

  @Get(':key')
  get(@Param('key') key: string, @Res({ passthrough: true }) reply: ReplyLike): Entry {
    const entry = this.store.get(key);
    if (!entry) throw new NotFoundException(`no key ${key}`);
    reply.header('ETag', etag(entry.version));
    return entry;
  }

  @Put(':key')
  put(@Param('key') key: string, @Body() body: unknown, @Res({ passthrough: true }) reply: ReplyLike): Entry {
    if (typeof body !== 'object' || body === null || !('value' in body))
      throw new BadRequestException('value is required');
    const { entry, created } = this.store.put(key, body.value);
    reply.status(created ? 201 : 200);
    reply.header('ETag', etag(entry.version));
    return entry;
  }
}

@Module({ controllers: [MemoryKvController] })
class MemoryKvModule {}

/** Starts one server kind on a free loopback port; resolves with the port and a close function. */
export async function startServer(kind: ServerKind): Promise<{ port: number; close: () => Promise<void> }> {
  if (kind === 'node-http') return startPlainNodeServer();
  const app: INestApplication<http.Server> =
    kind === 'express'
      ? await NestFactory.create(MemoryKvModule, new ExpressAdapter(), { logger: false })
      : await NestFactory.create(MemoryKvModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { port: address.port, close: () => app.close() };
}

/** The floor: the same behaviour on bare node:http, no framework at all. */
function startPlainNodeServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const store = new MemoryStore();
  const send = (res: http.ServerResponse, status: number, body: unknown, version?: number): void => {
    const text = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    };
    if (version !== undefined) headers.etag = etag(version);
    res.writeHead(status, headers).end(text);
  };
  const server = http.createServer((req, res) => {
    const match = /^\/kv\/([^/?]+)/.exec(req.url ?? '');
    if (!match) return send(res, 404, { message: 'not found' });
    const key = decodeURIComponent(match[1]!);
    if (req.method === 'GET') {
      const entry = store.get(key);
      return entry ? send(res, 200, entry, entry.version) : send(res, 404, { message: `no key ${key}` });
    }
    if (req.method !== 'PUT') return send(res, 405, { message: 'method not allowed' });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { message: 'bad JSON' });
      }
      if (typeof body !== 'object' || body === null || !('value' in body))
        return send(res, 400, { message: 'value is required' });
      const { entry, created } = store.put(key, body.value);
      send(res, created ? 201 : 200, entry, entry.version);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
