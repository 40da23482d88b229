/**
 * One bounded HTTP request to a node, with the outcome classified the way the
 * history needs it: an answer (any status) or a transport failure (timeout,
 * refused, reset) that says nothing about whether the request took effect
 * (except a refused connection, which certainly never reached the node).
 */
import http from 'node:http';

export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: unknown;
      readonly headers: http.IncomingHttpHeaders;
    }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

export interface HttpRequest {
  readonly port: number;
  readonly method: 'GET' | 'PUT' | 'DELETE' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly agent?: http.Agent;
}

export function httpRequest(request: HttpRequest): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port: request.port,
        method: request.method,
        path: request.path,
        agent: request.agent ?? false,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
          ...request.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          finish({ kind: 'error', code: error.code ?? 'ERESPONSE', message: error.message }),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              // keep the text
            }
          }
          finish({ kind: 'response', status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'error', code: 'TIMEOUT', message: `no answer within ${request.timeoutMs} ms` });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ kind: 'error', code: error.code ?? 'EREQUEST', message: error.message }),
    );
    req.end(payload);
  });
}

export function keyPath(key: string, query = ''): string {
  return `/kv-store/v1/kv/${encodeURIComponent(key)}${query}`;
}
