import { randomInt } from 'node:crypto';
import type autocannon from 'autocannon';

export type WorkloadName = 'read' | 'write' | 'mixed' | 'cas' | 'list';
export const WORKLOADS: readonly WorkloadName[] = ['read', 'write', 'mixed', 'cas', 'list'];

/**
 * hot: the preloaded keys, written and read all along (proposers know them);
 * cold: keys drawn from a space so large that nearly every operation meets a
 * key for the first time on its node, as a store with many rarely written keys
 * does most of the time. Cold keys are not preloaded: reads find most of them
 * absent, which is an answer (404 here, an empty range in etcd), not a failure.
 */
export type KeyPattern = 'hot' | 'cold';
export const KEY_PATTERNS: readonly KeyPattern[] = ['hot', 'cold'];

/** Keys in one page of the list workload. */
export const LIST_PAGE = 100;

export const KV_PATH = '/kv-store/v1/kv/';

export function keyName(index: number): string {
  return `bench-${index.toString().padStart(7, '0')}`;
}

/** A JSON string value that is exactly `bytes` long once encoded (quotes included). */
export function valueOfSize(bytes: number, seed: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  for (let i = 0; i < bytes - 2; i++) text += alphabet[(seed * 7 + i * 13) % alphabet.length];
  return text;
}

/** What the load generator sends for one workload, and which answers count as done. */
export interface WorkloadPlan {
  readonly requests: autocannon.Request[];
  /** Statuses that complete an operation as the workload means it (a lost compare-and-set race is one). */
  readonly accepts: (status: number) => boolean;
  /**
   * The requests form one operation, sent in order on a connection (a read,
   * then the conditional write that depends on it): it is timed from the
   * first request to the last answer, and counted once.
   */
  readonly sequence: boolean;
}

export interface WorkloadShape {
  readonly workload: WorkloadName;
  readonly pattern: KeyPattern;
  /** Keys are drawn uniformly from keyName(0 .. keySpace - 1). */
  readonly keySpace: number;
  readonly valueBytes: number;
}

/** A handful of distinct values, built once: building JSON per request would put the load generator's cost, not the service's, into the numbers. */
export function sampleValues(valueBytes: number): string[] {
  return Array.from({ length: 16 }, (_, seed) => valueOfSize(valueBytes, seed));
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

/**
 * The kv-store REST API: one template whose setupRequest picks a random key
 * (and, for mixed, the method) per request. Every call returns fresh headers,
 * because autocannon writes Content-Length into the headers object it is
 * given and would otherwise leak it into a later GET.
 */
export function kvStoreWorkload({ workload, pattern, keySpace, valueBytes }: WorkloadShape): WorkloadPlan {
  const bodies = sampleValues(valueBytes).map((value) => JSON.stringify({ value }));
  const randomKey = (): string => keyName(randomInt(keySpace));
  const get = (request: autocannon.Request, key = randomKey()): autocannon.Request => ({
    ...request,
    method: 'GET',
    path: KV_PATH + key,
    headers: {},
    body: '',
  });
  const put = (request: autocannon.Request, key = randomKey(), headers = {}): autocannon.Request => ({
    ...request,
    method: 'PUT',
    path: KV_PATH + key,
    headers: { 'content-type': 'application/json', ...headers },
    body: bodies[randomInt(bodies.length)]!,
  });
  // A linearizable page of LIST_PAGE keys from a random key on: one request, up to LIST_PAGE answers.
  const list = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    method: 'GET',
    path: `${KV_PATH.slice(0, -1)}?start=${keyName(randomInt(Math.max(1, keySpace - LIST_PAGE)))}&limit=${LIST_PAGE}`,
    headers: {},
    body: '',
  });
  // Cold keys were never written: absent is their answer.
  const read = (status: number): boolean => is2xx(status) || (pattern === 'cold' && status === 404);
  switch (workload) {
    case 'list':
      return { requests: [{ setupRequest: list }], accepts: is2xx, sequence: false };
    case 'read':
      return { requests: [{ setupRequest: (request) => get(request) }], accepts: read, sequence: false };
    case 'write':
      return { requests: [{ setupRequest: (request) => put(request) }], accepts: is2xx, sequence: false };
    case 'mixed':
      return {
        requests: [{ setupRequest: (request) => (Math.random() < 0.5 ? get(request) : put(request)) }],
        accepts: read,
        sequence: false,
      };
    case 'cas':
      // Read the version, then write only if it is still that one (create only if still absent).
      return {
        requests: [
          {
            setupRequest: (request, context) => get(request, (context.key = randomKey())),
            onResponse: (status, body, context) => {
              context.version = status === 200 ? (JSON.parse(body) as { version: number }).version : undefined;
            },
          },
          {
            setupRequest: (request, context) =>
              put(
                request,
                context.key as string,
                context.version === undefined
                  ? { 'if-none-match': '*' }
                  : { 'if-match': `"${context.version as number}"` },
              ),
          },
        ],
        accepts: (status) => read(status) || status === 412,
        sequence: true,
      };
  }
}
