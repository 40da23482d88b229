import { randomInt } from 'node:crypto';
import type autocannon from 'autocannon';
import { keyName, LIST_PAGE, sampleValues, WorkloadPlan, WorkloadShape } from './workloads';

/**
 * The same workloads against etcd's v3 JSON gateway (POST /v3/kv/...; keys and
 * values base64), over the same HTTP load generator: the same keys, the same
 * values (the JSON text a kv-store client stores), the same random choices.
 * A range without `serializable` is etcd's linearizable read, as every
 * kv-store read is. Every answer is 200, a lost compare-and-set race included
 * ("succeeded": false), so 2xx is what counts.
 */
export function etcdWorkload({ workload, keySpace, valueBytes }: WorkloadShape): WorkloadPlan {
  const base64 = (text: string): string => Buffer.from(text).toString('base64');
  const values = sampleValues(valueBytes).map((value) => base64(JSON.stringify(value)));
  const randomKey = (): string => base64(keyName(randomInt(keySpace)));
  const post = (request: autocannon.Request, path: string, body: unknown): autocannon.Request => ({
    ...request,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const range = (request: autocannon.Request, key = randomKey()): autocannon.Request =>
    post(request, '/v3/kv/range', { key });
  const put = (request: autocannon.Request): autocannon.Request =>
    post(request, '/v3/kv/put', { key: randomKey(), value: values[randomInt(values.length)] });
  // Keys from a random one to the end of the benchmark's keys ("bench." is the next prefix after "bench-").
  const list = (request: autocannon.Request): autocannon.Request =>
    post(request, '/v3/kv/range', {
      key: base64(keyName(randomInt(Math.max(1, keySpace - LIST_PAGE)))),
      range_end: base64('bench.'),
      limit: LIST_PAGE,
    });
  const is2xx = (status: number): boolean => status >= 200 && status < 300;
  switch (workload) {
    case 'list':
      return { requests: [{ setupRequest: list }], accepts: is2xx, sequence: false };
    case 'read':
      return { requests: [{ setupRequest: (request) => range(request) }], accepts: is2xx, sequence: false };
    case 'write':
      return { requests: [{ setupRequest: (request) => put(request) }], accepts: is2xx, sequence: false };
    case 'mixed':
      return {
        requests: [{ setupRequest: (request) => (Math.random() < 0.5 ? range(request) : put(request)) }],
        accepts: is2xx,
        sequence: false,
      };
    case 'cas':
      // Read the key's revision, then put only if it is still that one (mod_revision 0: still absent).
      return {
        requests: [
          {
            setupRequest: (request, context) => range(request, (context.key = randomKey())),
            onResponse: (status, body, context) => {
              const kvs = status === 200 ? (JSON.parse(body) as { kvs?: Array<{ mod_revision: string }> }).kvs : [];
              context.revision = kvs?.[0]?.mod_revision ?? '0';
            },
          },
          {
            setupRequest: (request, context) =>
              post(request, '/v3/kv/txn', {
                compare: [
                  { key: context.key, target: 'MOD', result: 'EQUAL', mod_revision: context.revision as string },
                ],
                success: [{ request_put: { key: context.key, value: values[randomInt(values.length)] } }],
              }),
          },
        ],
        accepts: is2xx,
        sequence: true,
      };
  }
}
