import { Validator } from '@seriousme/openapi-schema-validator';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { isUndescribed } from '../../src/openapi/undescribed-paths';
import { createTestDatabase, TestDatabase } from '../support/database';
import { http } from '../support/http';
import { servedRoutes } from '../support/served-routes';

/** The parts of an OpenAPI document these tests read (the validator checks the whole). */
interface Operation {
  tags?: string[];
  parameters?: { in: string; name: string }[];
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema: { $ref?: string } }> }
  >;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[] }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * The OpenAPI document, as the app serves it: a valid OpenAPI 3.1 document
 * that describes every route the app serves (outside the few paths in
 * src/openapi/undescribed-paths.ts), and nothing the app does not serve.
 */
describe('OpenAPI document', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let baseUrl: string;
  /** "GET /kv-store/v1/kv/{key}", for every route the app's router has. */
  let served: string[];
  let document: OpenApiDocument;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'error', DATABASE_URL: database.url });
    app = await createApp(config, database.url);
    await app.listen(0, '127.0.0.1');
    served = servedRoutes(app.getHttpAdapter().getInstance());
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const answer = await http(baseUrl, 'GET', '/kv-store/v1/openapi.json');
    expect(answer.status).toBe(200);
    document = answer.body as OpenApiDocument;
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every route the app serves, and nothing more', () => {
    const described = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item).filter((key) => METHODS.includes(key)))
        described.add(`${method.toUpperCase()} ${path}`);
    }
    // Fastify adds a HEAD route for every GET route by itself: HEAD is GET without the body.
    const servedHere = served.filter((route) => !route.startsWith('HEAD ') && !isUndescribed(route.split(' ')[1]!));
    expect([...described].sort()).toEqual(servedHere.sort());
    // The parser found the routes (a router that drew its tree differently would fail it loudly).
    expect(servedHere).toEqual(expect.arrayContaining(['GET /kv-store/v1/kv/{key}', 'POST /kv-store/v1/kv/batch']));
    expect(served).toEqual(
      expect.arrayContaining(['GET /docs', 'GET /kv-store/v1/openapi.json', 'GET /metrics', 'GET /kv-store/v1/status']),
    );
  });

  it('leaves out the peer API, which the app does serve', () => {
    expect(served.some((route) => route.startsWith('POST /internal/v1/'))).toBe(true);
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/internal/'))).toEqual([]);
  });

  it('gives every operation its statuses, and every error the one error shape', () => {
    for (const item of Object.values(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const statuses = Object.keys(operation.responses);
        expect(statuses.some((status) => status.startsWith('2'))).toBe(true);
        for (const status of statuses.filter((status) => /^[45]/.test(status))) {
          const schema = operation.responses[status]!.content!['application/json']!.schema;
          // The health endpoints' 503 is Terminus's result, not an error body.
          const expected = operation.tags?.includes('health')
            ? '#/components/schemas/HealthResult'
            : '#/components/schemas/ErrorBody';
          expect({ status, ref: schema.$ref }).toEqual({ status, ref: expected });
        }
      }
    }
    expect(document.components.schemas.ErrorBody!.required!.sort()).toEqual([
      'error',
      'message',
      'requestId',
      'statusCode',
    ]);
  });

  it('describes the ETag headers and the conditional requests of a key', () => {
    const key = document.paths['/kv-store/v1/kv/{key}']!;
    const headerNames = (operation: Operation | undefined) =>
      operation?.parameters?.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);
    expect(headerNames(key.get)?.sort()).toEqual(['If-None-Match', 'X-Request-Id']);
    expect(headerNames(key.put)?.sort()).toEqual(['If-Match', 'If-None-Match', 'X-Request-Id']);
    expect(headerNames(key.delete)?.sort()).toEqual(['If-Match', 'If-None-Match', 'X-Request-Id']);
    expect(Object.keys(key.get!.responses).sort()).toEqual(['200', '304', '400', '404', '414', '503']);
    expect(Object.keys(key.put!.responses).sort()).toEqual(['200', '201', '400', '412', '413', '414', '415', '503']);
    expect(key.get!.responses['200']!.headers).toHaveProperty('ETag');
    expect(key.put!.responses['201']!.headers).toHaveProperty('ETag');
    expect(key.get!.responses['404']!.headers).toHaveProperty(['X-Kv-Version']);
    expect(key.delete!.responses['204']!.headers).toHaveProperty(['X-Request-Id']);
  });

  it('serves Swagger UI at /docs', async () => {
    const page = await http(baseUrl, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('swagger-ui');
    // The page's script and styles come from the same server.
    const script = await http(baseUrl, 'GET', '/docs/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
    const init = await http(baseUrl, 'GET', '/docs/swagger-ui-init.js');
    expect(init.text).toContain('/kv-store/v1/kv/{key}');
  });
});
