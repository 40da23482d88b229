import { Agent, request as httpRequest } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the raw text ('' when empty). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
  text: string;
}

/** A small fetch wrapper for tests: JSON in, JSON (or text) out, never throws on a status. */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await send(new URL(baseUrl), method, path, headers, body);
  const text = response.body;
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/**
 * node:http rather than fetch: WHATWG URL parsing would resolve the path
 * segments '.', '..', '%2E' and '%2E%2E', and the tests must send paths as-is.
 */
function send(
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; headers: Headers; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: base.hostname, port: base.port, method, path, headers, agent: keepAlive },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: responseHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * encodeURIComponent leaves '.' alone, and every HTTP client resolves the path
 * segments '.' and '..' away; those two keys must be sent as %2E.
 */
export const kvPath = (key: string): string =>
  `/kv-store/v1/kv/${key === '.' || key === '..' ? key.replace(/\./g, '%2E') : encodeURIComponent(key)}`;

/** Every error answer has the same JSON shape, with the request id the answer's X-Request-Id header gives. */
export function expectErrorBody(result: HttpResult, status: number): void {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/application\/json/);
  const requestId = result.headers.get('x-request-id');
  expect(requestId).toMatch(/^\S+$/);
  expect(result.body).toEqual(
    expect.objectContaining({
      statusCode: status,
      error: expect.any(String), // eslint-disable-line @typescript-eslint/no-unsafe-assignment -- Jest types its asymmetric matchers as any
      message: expect.any(String), // eslint-disable-line @typescript-eslint/no-unsafe-assignment -- as above
      requestId,
    }),
  );
}
