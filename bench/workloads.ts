import { randomInt } from 'node:crypto';
import type autocannon from 'autocannon';

export type WorkloadName = 'read' | 'write' | 'mixed' | 'list';
export const WORKLOADS: readonly WorkloadName[] = ['read', 'write', 'mixed', 'list'];

/** Keys in one page of the list workload. */
export const LIST_PAGE = 100;

export const KV_PATH = '/kv-store/v1/kv/';

export function keyName(index: number): string {
  return `bench-${index.toString().padStart(6, '0')}`;
}

/** A JSON string value that is exactly `bytes` long once encoded (quotes included). */
export function valueOfSize(bytes: number, seed: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  for (let i = 0; i < bytes - 2; i++) text += alphabet[(seed * 7 + i * 13) % alphabet.length];
  return text;
}

/**
 * The autocannon request list for a workload: one template whose setupRequest
 * picks a random preloaded key (and, for mixed, the method) per request.
 * Every call returns fresh headers, because autocannon writes Content-Length
 * into the headers object it is given and would otherwise leak it into a later GET.
 */
export function requestsFor(workload: WorkloadName, keyCount: number, valueBytes: number): autocannon.Request[] {
  // A handful of distinct bodies, built once: building JSON per request would
  // put the load generator's cost, not the service's, into the numbers.
  const bodies = Array.from({ length: 16 }, (_, seed) => JSON.stringify({ value: valueOfSize(valueBytes, seed) }));
  const randomPath = (): string => KV_PATH + keyName(randomInt(keyCount));
  const get = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    method: 'GET',
    path: randomPath(),
    headers: {},
    body: '',
  });
  const put = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    method: 'PUT',
    path: randomPath(),
    headers: { 'content-type': 'application/json' },
    body: bodies[randomInt(bodies.length)]!,
  });
  // A linearizable page of LIST_PAGE keys from a random preloaded key on: one request, LIST_PAGE answers.
  const list = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    method: 'GET',
    path: `${KV_PATH.slice(0, -1)}?start=${keyName(randomInt(Math.max(1, keyCount - LIST_PAGE)))}&limit=${LIST_PAGE}`,
    headers: {},
    body: '',
  });
  switch (workload) {
    case 'list':
      return [{ setupRequest: list }];
    case 'read':
      return [{ setupRequest: get }];
    case 'write':
      return [{ setupRequest: put }];
    case 'mixed':
      return [{ setupRequest: (request) => (Math.random() < 0.5 ? get(request) : put(request)) }];
  }
}
