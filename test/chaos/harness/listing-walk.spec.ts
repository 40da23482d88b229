import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HistoryEvent, HistoryRecorder, pairOperations } from '../history';
import { walkListing } from './listing-walk';
import type { RequestRecord } from './workload';

/** A stand-in node that answers listing requests with scripted pages, one per request, in order. */
async function scriptedNode(pages: Array<{ status: number; body: unknown }>) {
  const requests: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    requests.push(new URL(req.url!, 'http://x').searchParams);
    const page = pages.shift() ?? { status: 500, body: { message: 'no more pages' } };
    res.writeHead(page.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(page.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests, close: () => server.close() };
}

async function walk(
  pages: Array<{ status: number; body: unknown }>,
  range: { prefix?: string; start?: string; end?: string },
  keySpace: string[],
) {
  const node = await scriptedNode(pages);
  const events: HistoryEvent[] = [];
  const records: RequestRecord[] = [];
  let now = 0;
  const clock = () => ++now;
  const recorder = new HistoryRecorder({ clock, onEvent: (event) => events.push(event) });
  try {
    const outcome = await walkListing(
      {
        nodes: new Map([['n1', node.port]]),
        recorder,
        clock,
        clientTimeoutMs: 2000,
        localReads: false,
        onRequest: (record) => records.push(record),
      },
      'c1',
      'n1',
      range,
      2,
      keySpace,
    );
    const reads = pairOperations(events).map((op) => ({
      key: op.key,
      result: op.status === 'ok' ? op.result : op.status,
      invokeTime: op.invokeTime,
      completeTime: op.completeTime,
    }));
    return { outcome, reads, records, requests: node.requests };
  } finally {
    node.close();
  }
}

const item = (key: string, version = 1) => ({ key, value: `v-${key}`, version });

describe('walkListing', () => {
  it('follows the cursor and records listed keys as found and skipped keys as absent, over the right intervals', async () => {
    const { outcome, reads, records, requests } = await walk(
      [
        { status: 200, body: { items: [item('g0/k0'), item('g0/k2', 3)], nextCursor: 'c1' } },
        { status: 200, body: { items: [item('g0/k3')], nextCursor: null } },
      ],
      { prefix: 'g0/' },
      ['g0/k0', 'g0/k1', 'g0/k2', 'g0/k3', 'g0/k4'],
    );
    expect(outcome).toEqual({ unavailable: false, problems: [] });
    expect(requests.map((query) => Object.fromEntries(query))).toEqual([
      { prefix: 'g0/', limit: '2' },
      { prefix: 'g0/', limit: '2', cursor: 'c1' },
    ]);
    expect(records.map((r) => [r.f, r.status, r.outcome])).toEqual([
      ['list', 200, 'ok'],
      ['list', 200, 'ok'],
    ]);
    // Clock ticks: walk start 1, page 1 invoked 2 and done 3, page 2 invoked 4 and done 5.
    const byKey = Object.fromEntries(reads.map((read) => [read.key, read]));
    expect(byKey['g0/k0']).toEqual({
      key: 'g0/k0',
      result: { found: true, value: 'v-g0/k0', version: 1 },
      invokeTime: 2,
      completeTime: 3,
    });
    expect(byKey['g0/k3']).toMatchObject({ result: { found: true, version: 1 }, invokeTime: 4, completeTime: 5 });
    // Not listed, and the walk reached the end of the range: absent, at some time during the walk.
    expect(byKey['g0/k1']).toEqual({ key: 'g0/k1', result: { found: false }, invokeTime: 1, completeTime: 5 });
    expect(byKey['g0/k4']).toEqual({ key: 'g0/k4', result: { found: false }, invokeTime: 1, completeTime: 5 });
    expect(reads).toHaveLength(5);
  });

  it('claims absence only for keys a completed page covered when the walk breaks off', async () => {
    const { outcome, reads } = await walk(
      [
        { status: 200, body: { items: [item('a'), item('c')], nextCursor: 'c1' } },
        { status: 503, body: { message: 'no quorum' } },
      ],
      { start: 'a', end: 'z' },
      ['a', 'b', 'c', 'd', 'zz'],
    );
    expect(outcome).toEqual({ unavailable: true, problems: [] });
    // "b" was passed over by the first page; "d" was never reached; "zz" is out of range.
    expect(reads.map((read) => [read.key, read.result])).toEqual([
      ['a', { found: true, value: 'v-a', version: 1 }],
      ['c', { found: true, value: 'v-c', version: 1 }],
      ['b', { found: false }],
    ]);
  });

  it('reports keys out of order, out of range, or listed twice', async () => {
    const { outcome } = await walk(
      [
        { status: 200, body: { items: [item('p/b'), item('p/a')], nextCursor: 'c1' } },
        { status: 200, body: { items: [item('p/b'), item('q/x')], nextCursor: null } },
      ],
      { prefix: 'p/' },
      [],
    );
    expect(outcome.problems).toEqual([
      'c1@n1: "p/a" listed after "p/b" in one walk',
      'c1@n1: "p/b" listed twice in one walk',
      'c1@n1: "q/x" is outside {"prefix":"p/"}',
    ]);
  });

  it('reports a page of the wrong shape and records nothing from it', async () => {
    const { outcome, reads } = await walk(
      [{ status: 200, body: { items: [{ key: 'p/a' }], nextCursor: null } }],
      { prefix: 'p/' },
      ['p/a'],
    );
    expect(outcome.unavailable).toBe(false);
    expect(outcome.problems).toEqual([
      'c1@n1: a listing page of the wrong shape: {"items":[{"key":"p/a"}],"nextCursor":null}',
    ]);
    expect(reads).toEqual([]);
  });
});
