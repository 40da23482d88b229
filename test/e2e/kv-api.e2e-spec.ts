import { queryDatabase } from '../support/database';
import { expectErrorBody, http, kvPath } from '../support/http';
import { startTestNode, TestNode } from '../support/test-node';

/**
 * The REST contract of one node, over real HTTP, against real PostgreSQL, with
 * the production pipeline (ValidationPipe, body limits, error filter).
 */
describe('kv API (single node)', () => {
  let node: TestNode;
  const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(node.baseUrl, method, path, options);
  const put = (key: string, value: unknown, headers?: Record<string, string>) =>
    call('PUT', kvPath(key), { json: { value }, headers });
  const get = (key: string, headers?: Record<string, string>) => call('GET', kvPath(key), { headers });
  const del = (key: string, headers?: Record<string, string>) => call('DELETE', kvPath(key), { headers });

  /** The whole table, protocol columns included: a request refused before replication writes nothing at all. */
  /** Every register as the protocol keeps it; `unsettled` is left out: the tombstone settler clears it in the background. */
  const snapshot = () =>
    queryDatabase(
      node.database.url,
      'SELECT key, promised, accepted, present, value, version, lineage FROM kv_register ORDER BY key',
    );
  /**
   * What clients can see. A failed precondition is decided by a quorum round,
   * which moves ballots (so that the answer is never based on a stale value)
   * but never the data.
   */
  const visibleState = () =>
    queryDatabase(node.database.url, 'SELECT key, value, version FROM kv_register WHERE present ORDER BY key');

  beforeAll(async () => {
    node = await startTestNode({ MAX_VALUE_BYTES: '2048', MAX_BATCH_ITEMS: '5', MAX_BODY_BYTES: '65536' });
  });
  afterAll(async () => {
    await node?.close();
  });

  describe('PUT, GET, DELETE', () => {
    it('creates with 201, replaces with 200, and counts versions in the ETag', async () => {
      const created = await put('greeting', { text: 'hello' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ key: 'greeting', value: { text: 'hello' }, version: 1 });
      expect(created.headers.get('etag')).toBe('"1"');

      const replaced = await put('greeting', 'bye');
      expect(replaced.status).toBe(200);
      expect(replaced.body).toEqual({ key: 'greeting', value: 'bye', version: 2 });
      expect(replaced.headers.get('etag')).toBe('"2"');

      const read = await get('greeting');
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key: 'greeting', value: 'bye', version: 2 });
      expect(read.headers.get('etag')).toBe('"2"');
    });

    it('answers 404 with the error shape for a key never written', async () => {
      expectErrorBody(await get('never-written'), 404);
    });

    it('deletes with 204, then 404; a later PUT creates again with a higher version', async () => {
      await put('doomed', 1);
      const deleted = await del('doomed');
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expectErrorBody(await get('doomed'), 404);
      expectErrorBody(await del('doomed'), 404);
      const again = await put('doomed', 2);
      expect(again.status).toBe(201);
      expect(again.body.version).toBe(3); // 1 write, 1 delete, then this one: an old ETag never comes back
    });

    it('stores any JSON value exactly, null and "\\u0000" included', async () => {
      const values: unknown[] = [
        null,
        0,
        -1.5e300,
        true,
        '',
        'ünïcødé ✓ 日本 🚀',
        'nul \u0000 inside',
        [],
        [1, [2, [3]]],
        { nested: { list: [null, { deep: 'x' }] }, 'key with space': 1 },
      ];
      for (const [index, value] of values.entries()) {
        const key = `value-${index}`;
        expect((await put(key, value)).status).toBe(201);
        const read = await get(key);
        expect(read.status).toBe(200);
        expect(read.body.value).toEqual(value);
      }
    });

    it('serves ?consistency=local and rejects an unknown consistency with 400', async () => {
      await put('local-read', 'v');
      const local = await call('GET', `${kvPath('local-read')}?consistency=local`);
      expect(local.status).toBe(200);
      expect(local.body.value).toBe('v');
      expectErrorBody(await call('GET', `${kvPath('local-read')}?consistency=eventual`), 400);
    });
  });

  describe('keys', () => {
    const awkward = [
      'with spaces in it',
      'a/b/c',
      '/leading-and-trailing/',
      'percent %2F literally',
      'ключ-ユニコード-🔑',
      '?query#fragment&x=1',
      '.',
      '..',
      'é'.repeat(512), // 1024 bytes of UTF-8 in 512 characters
      'k'.repeat(1024),
    ];

    it.each(
      awkward.map((key) => [key.length > 40 ? `${key.slice(0, 12)}… (${Buffer.byteLength(key)} bytes)` : key, key]),
    )('round-trips %s', async (_label, key) => {
      const written = await put(key, { key });
      expect(written.status).toBe(201);
      expect(written.body.key).toBe(key);
      const read = await get(key);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key, value: { key }, version: 1 });
      expect((await del(key)).status).toBe(204);
    });

    it('keeps "a/b" and "a%2Fb" apart', async () => {
      await put('a/b', 'slash');
      await put('a%2Fb', 'percent');
      expect((await get('a/b')).body.value).toBe('slash');
      expect((await get('a%2Fb')).body.value).toBe('percent');
    });

    it('rejects a key over 1024 bytes in the URL with 414 (not 413: a GET has no payload) and a NUL key with 400, writing nothing', async () => {
      const before = await snapshot();
      expectOneShape(await put('k'.repeat(1025), 1), 414);
      expectOneShape(await put('é'.repeat(512) + 'x', 1), 414);
      expectOneShape(await get('k'.repeat(1025)), 414);
      expectOneShape(await del('k'.repeat(1025)), 414);
      // Longer than the router takes as a parameter at all: the router's own 414, in the same shape.
      expectOneShape(await get('k'.repeat(5000)), 414);
      expectOneShape(await put('nul\u0000key', 1), 400);
      expectOneShape(await call('PUT', '/kv-store/v1/kv/%E0%A4%A', { json: { value: 1 } }), 400);
      expectOneShape(await call('GET', '/kv-store/v1/kv/%E0%A4%A/'), 400);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('conditional requests', () => {
    it('If-Match: writes when the version matches, 412 and no change otherwise', async () => {
      await put('cas', 'v1');
      const ok = await put('cas', 'v2', { 'if-match': '"1"' });
      expect(ok.status).toBe(200);
      expect(ok.body.version).toBe(2);

      const before = await visibleState();
      expectErrorBody(await put('cas', 'stale', { 'if-match': '"1"' }), 412);
      expectErrorBody(await put('cas', 'weak', { 'if-match': 'W/"2"' }), 412); // If-Match compares strongly
      expect(await visibleState()).toEqual(before);
      expect((await get('cas')).body).toEqual({ key: 'cas', value: 'v2', version: 2 });

      expect((await put('cas', 'v3', { 'if-match': '"7", "2"' })).status).toBe(200);
      expect((await put('cas', 'v4', { 'if-match': '*' })).status).toBe(200);
    });

    it('If-Match on an absent key is 412 and creates nothing', async () => {
      const before = await visibleState();
      expectErrorBody(await put('cas-absent', 'x', { 'if-match': '"1"' }), 412);
      expectErrorBody(await put('cas-absent', 'x', { 'if-match': '*' }), 412);
      expectErrorBody(await get('cas-absent'), 404);
      expect(await visibleState()).toEqual(before);
    });

    it('If-None-Match: * creates only when absent', async () => {
      const created = await put('create-only', 'first', { 'if-none-match': '*' });
      expect(created.status).toBe(201);
      expectErrorBody(await put('create-only', 'second', { 'if-none-match': '*' }), 412);
      expect((await get('create-only')).body.value).toBe('first');
    });

    it('DELETE with If-Match deletes only the expected version', async () => {
      await put('del-cas', 'v1');
      await put('del-cas', 'v2');
      expectErrorBody(await del('del-cas', { 'if-match': '"1"' }), 412);
      expect((await get('del-cas')).body.value).toBe('v2');
      expect((await del('del-cas', { 'if-match': '"2"' })).status).toBe(204);
      expectErrorBody(await del('del-cas', { 'if-match': '"2"' }), 412);
    });

    it('GET with If-None-Match answers 304 while unchanged, 200 after a change', async () => {
      await put('etag-read', 'a');
      const notModified = await get('etag-read', { 'if-none-match': '"1"' });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('etag')).toBe('"1"');
      expect(notModified.text).toBe('');
      expect((await get('etag-read', { 'if-none-match': 'W/"1"' })).status).toBe(304);
      await put('etag-read', 'b');
      const changed = await get('etag-read', { 'if-none-match': '"1"' });
      expect(changed.status).toBe(200);
      expect(changed.body.value).toBe('b');
    });

    it('rejects a malformed entity tag with 400', async () => {
      await put('etag-syntax', 1);
      const before = await snapshot();
      expectErrorBody(await put('etag-syntax', 2, { 'if-match': '1' }), 400);
      expectErrorBody(await put('etag-syntax', 2, { 'if-match': '"1" junk' }), 400);
      expectErrorBody(await del('etag-syntax', { 'if-none-match': 'W/' }), 400);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('batch', () => {
    const batch = (items: unknown, headers?: Record<string, string>) =>
      call('POST', '/kv-store/v1/kv/batch', { json: { items }, headers });

    it('answers one result per item, in order', async () => {
      await put('batch-b', 'old');
      const result = await batch([
        { key: 'batch-a', value: 1 },
        { key: 'batch-b', value: 2 },
        { key: 'batch-a', value: 3 },
      ]);
      expect(result.status).toBe(200);
      expect(result.body.results).toEqual([
        { key: 'batch-a', status: 201, version: 1 },
        { key: 'batch-b', status: 200, version: 2 },
        { key: 'batch-a', status: 200, version: 2 },
      ]);
      expect((await get('batch-a')).body.value).toBe(3);
    });

    it('rejects the whole batch, writing nothing, when any item is bad', async () => {
      const before = await snapshot();
      expectErrorBody(await batch([{ key: 'batch-x', value: 1 }, { key: 'batch-y' }]), 400);
      expectErrorBody(
        await batch([
          { key: 'batch-x', value: 1 },
          { key: '', value: 1 },
        ]),
        400,
      );
      expectErrorBody(
        await batch([
          { key: 'batch-x', value: 1 },
          { key: 'k'.repeat(1025), value: 1 },
        ]),
        413,
      );
      // "\ud800" and "\udc00" are different keys in JSON but both reach PostgreSQL as U+FFFD: one row.
      expectErrorBody(
        await batch([
          { key: 'lone-\ud800', value: 1 },
          { key: 'lone-\udc00', value: 2 },
        ]),
        400,
      );
      expectErrorBody(await batch([]), 400);
      expectErrorBody(await batch('not a list'), 400);
      expectErrorBody(await batch([{ key: 'batch-x', value: 'x'.repeat(3000) }]), 413);
      expectErrorBody(await batch(Array.from({ length: 6 }, (_, i) => ({ key: `batch-${i}`, value: i }))), 413);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('bad input', () => {
    let before: Record<string, unknown>[];
    beforeEach(async () => {
      await put('guarded', 'original');
      before = await snapshot();
    });
    afterEach(async () => {
      expect(await snapshot()).toEqual(before); // a rejected request changes nothing
    });

    it('400 for malformed JSON', async () => {
      expectErrorBody(
        await call('PUT', kvPath('guarded'), { body: '{"value": ', headers: { 'content-type': 'application/json' } }),
        400,
      );
    });

    it('400 for a missing value, an empty body, a non-object body or an unknown field', async () => {
      expectErrorBody(await call('PUT', kvPath('guarded'), { json: {} }), 400);
      expectErrorBody(await call('PUT', kvPath('guarded'), { headers: { 'content-type': 'application/json' } }), 400);
      expectErrorBody(await call('PUT', kvPath('guarded'), { json: ['value'] }), 400);
      expectErrorBody(
        await call('PUT', kvPath('guarded'), {
          body: '"just a string"',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      );
      expectErrorBody(await call('PUT', kvPath('guarded'), { json: { value: 1, extra: true } }), 400);
    });

    it('400 for JSON nested deeper than the limit', async () => {
      const deep = '{"value":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
      expectErrorBody(
        await call('PUT', kvPath('guarded'), { body: deep, headers: { 'content-type': 'application/json' } }),
        400,
      );
    });

    it('413 for a value over MAX_VALUE_BYTES and a body over MAX_BODY_BYTES', async () => {
      expectErrorBody(await put('guarded', 'x'.repeat(2100)), 413);
      expectErrorBody(await put('guarded', 'x'.repeat(70_000)), 413);
    });

    it('415 for a body that is not JSON, saying what to send', async () => {
      for (const contentType of ['application/x-www-form-urlencoded', 'text/plain']) {
        const refused = await call('PUT', kvPath('guarded'), {
          body: '{"value":1}',
          headers: { 'content-type': contentType },
        });
        expectOneShape(refused, 415);
        expect(refused.body.message).toContain('Content-Type: application/json');
      }
    });

    it('405 with an Allow header for every other method on every client route, trailing slash or not', async () => {
      const routes = [
        { path: kvPath('guarded'), allow: 'GET, HEAD, PUT, DELETE, OPTIONS' },
        // POST is the batch; the other methods address the key "batch".
        { path: '/kv-store/v1/kv/batch', allow: 'GET, HEAD, POST, PUT, DELETE, OPTIONS' },
        { path: '/kv-store/v1/health', allow: 'GET, HEAD, OPTIONS' },
        { path: '/health/live', allow: 'GET, HEAD, OPTIONS' },
        { path: '/health/ready', allow: 'GET, HEAD, OPTIONS' },
      ];
      for (const { path, allow } of routes) {
        for (const form of [path, `${path}/`]) {
          for (const method of ['TRACE', 'PATCH', 'POST', 'PUT', 'DELETE']) {
            if (allow.split(', ').includes(method)) continue;
            const refused = await call(method, form, { json: { value: 2 } });
            expectOneShape(refused, 405);
            expect(refused.headers.get('allow')).toBe(allow);
          }
          // OPTIONS asks which methods there are: the answer, not an error.
          const options = await call('OPTIONS', form);
          expect(options.status).toBe(204);
          expect(options.headers.get('allow')).toBe(allow);
          expect(options.text).toBe('');
        }
      }
    });

    it('404 with the error shape for an unknown route, whatever the method', async () => {
      expectOneShape(await call('GET', '/kv-store/v1/nothing-here'), 404);
      expectOneShape(await call('TRACE', '/kv-store/v1/nothing-here'), 404);
      expectOneShape(await call('OPTIONS', '/kv-store/v1/nothing-here'), 404);
    });
  });

  /** The origin (Django) store's clients end every path with "/"; a 404 there reads like "key absent". */
  describe("the origin store's paths, with and without a trailing slash", () => {
    it.each(['', '/'])('PUT, GET, DELETE and batch on ".../kv/<key>%s"', async (slash) => {
      const key = `slash-test${slash === '/' ? '-with' : '-without'}`;
      const at = `${kvPath(key)}${slash}`;
      const created = await call('PUT', at, { json: { value: { n: 1 } } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ key, value: { n: 1 }, version: 1 });
      expect((await call('PUT', at, { json: { value: { n: 2 } }, headers: { 'if-match': '"1"' } })).status).toBe(200);
      const read = await call('GET', at);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ key, value: { n: 2 }, version: 2 });
      expect((await call('DELETE', at)).status).toBe(204);
      expectErrorBody(await call('GET', at), 404);

      const batch = await call('POST', `/kv-store/v1/kv/batch${slash}`, {
        json: { items: [{ key: `${key}-batch`, value: 1 }] },
      });
      expect(batch.status).toBe(200);
      expect(batch.body.results).toEqual([{ key: `${key}-batch`, status: 201, version: 1 }]);
      expect((await call('GET', `${kvPath(`${key}-batch`)}${slash}`)).body.value).toBe(1);
    });

    it.each(['/kv-store/v1/health', '/health/live', '/health/ready'])('GET %s with and without "/"', async (path) => {
      for (const form of [path, `${path}/`]) {
        const health = await call('GET', form);
        expect(health.status).toBe(200);
        expect(health.body.status).toBe('ok');
      }
    });

    it('an encoded %2F at the end stays part of the key: ".../kv/a%2F" is the key "a/", not "a"', async () => {
      expect((await call('PUT', '/kv-store/v1/kv/a%2F', { json: { value: 'slash' } })).body.key).toBe('a/');
      expect((await call('PUT', '/kv-store/v1/kv/a', { json: { value: 'plain' } })).body.key).toBe('a');
      expect((await call('GET', '/kv-store/v1/kv/a%2F')).body).toEqual({ key: 'a/', value: 'slash', version: 1 });
      expect((await call('GET', '/kv-store/v1/kv/a%2F/')).body).toEqual({ key: 'a/', value: 'slash', version: 1 });
      expect((await call('GET', '/kv-store/v1/kv/a/')).body).toEqual({ key: 'a', value: 'plain', version: 1 });
    });
  });

  /**
   * A value is any JSON: keys that name prototype machinery in JavaScript are
   * data like any other. (Compared as JSON text: a "__proto__" in an object
   * literal here would set a prototype, not a key.)
   */
  describe('values whose keys are "__proto__", "constructor" or "prototype"', () => {
    const awkwardValues = [
      '{"__proto__":{"x":1},"a":1}',
      '{"constructor":{"prototype":{"polluted":true}},"prototype":null}',
      '[{"__proto__":[]},{"nested":{"constructor":"x","__proto__":{"__proto__":{}}}}]',
    ];
    const putText = (key: string, text: string) =>
      call('PUT', kvPath(key), { body: `{"value":${text}}`, headers: { 'content-type': 'application/json' } });

    it.each(awkwardValues)('PUT and GET keep %s', async (text) => {
      const key = `proto-${awkwardValues.indexOf(text)}`;
      const written = await putText(key, text);
      expect(written.status).toBe(201);
      expect(JSON.stringify(written.body.value)).toBe(text);
      expect(JSON.stringify((await get(key)).body.value)).toBe(text);
      expect(JSON.stringify((await call('GET', `${kvPath(key)}?consistency=local`)).body.value)).toBe(text);
      const [row] = await queryDatabase(
        node.database.url,
        'SELECT value::text AS text FROM kv_register WHERE key = $1',
        [key],
      );
      expect(JSON.stringify(JSON.parse(row!.text as string))).toBe(text);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('batch items keep them too', async () => {
      const items = awkwardValues.map((text, index) => `{"key":"proto-batch-${index}","value":${text}}`).join(',');
      const result = await call('POST', '/kv-store/v1/kv/batch', {
        body: `{"items":[${items}]}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(result.status).toBe(200);
      for (const [index, text] of awkwardValues.entries())
        expect(JSON.stringify((await get(`proto-batch-${index}`)).body.value)).toBe(text);
    });

    it('as unknown fields of the request, they are refused with 400 like any other, writing nothing', async () => {
      const before = await snapshot();
      for (const field of ['__proto__', 'constructor', 'prototype']) {
        const single = await call('PUT', kvPath('proto-field'), {
          body: `{"value":1,"${field}":{"x":1}}`,
          headers: { 'content-type': 'application/json' },
        });
        expectOneShape(single, 400);
        expect(single.body.message).toBe(`property ${field} should not exist`);
        const item = await call('POST', '/kv-store/v1/kv/batch', {
          body: `{"items":[{"key":"proto-field","value":1,"${field}":{}}]}`,
          headers: { 'content-type': 'application/json' },
        });
        expectOneShape(item, 400);
        expect(item.body.message).toContain(`${field} should not exist`);
      }
      expect(await snapshot()).toEqual(before);
    });
  });
});

/** The one error shape and nothing else: no framework fields such as Fastify's "code". */
function expectOneShape(result: Awaited<ReturnType<typeof http>>, status: number): void {
  expectErrorBody(result, status);
  expect(Object.keys(result.body).sort()).toEqual(['error', 'message', 'requestId', 'statusCode']);
}
