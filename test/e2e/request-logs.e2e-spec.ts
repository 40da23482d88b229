import { TestCluster, printClusterLogsOnFailure } from '../support/cluster';
import { expectErrorBody, http, kvPath } from '../support/http';
import { LogLine, logLinesOf, waitForLogLine } from '../support/log-lines';
import { SseStream } from '../support/sse';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY = 'log-test-private-key';
const VALUE = 'log-test-private-value';

/**
 * Request ids and request log lines, on three real node processes at
 * LOG_LEVEL=debug (the level at which a node logs the forwarded operations it
 * runs): one JSON line per request, the id kept or made, echoed, in error
 * bodies, and followed from the node that took a write to the one that ran it.
 */
describe('request logs and request ids (three-node cluster)', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { LOG_LEVEL: 'debug' });
    await cluster.waitUntilVoting(['n1', 'n2', 'n3'], 30_000);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  const nodeProcess = (id: string) => cluster.node(id).process!;
  const requestLine = (requestId: string) => (line: LogLine) =>
    typeof line.msg === 'string' && line.msg.startsWith('request ') && line.requestId === requestId;

  it('logs one JSON line per request with method, route pattern, status, duration and the id it echoes', async () => {
    const written = await http(cluster.url('n1'), 'PUT', kvPath(KEY), {
      json: { value: VALUE },
      headers: { 'x-request-id': 'client-id-1' },
    });
    expect(written.status).toBe(201);
    expect(written.headers.get('x-request-id')).toBe('client-id-1');

    const line = await waitForLogLine(nodeProcess('n1'), requestLine('client-id-1'));
    expect(line).toEqual({
      level: 'info',
      time: expect.any(String),
      nodeId: 'n1',
      pid: nodeProcess('n1').pid,
      requestId: 'client-id-1',
      method: 'PUT',
      route: '/kv-store/v1/kv/:key',
      status: 201,
      durationMs: expect.any(Number),
      msg: 'request completed',
    });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('makes an id when the client sends none or one it cannot log as it is, and puts it in the error body', async () => {
    const none = await http(cluster.url('n2'), 'GET', kvPath('log-test-never-written'));
    expectErrorBody(none, 404);
    expect(none.body.requestId).toMatch(UUID);
    await waitForLogLine(
      nodeProcess('n2'),
      (line) => requestLine(none.body.requestId as string)(line) && line.status === 404,
    );

    for (const invalid of ['has spaces', 'x'.repeat(129), 'quote"d']) {
      const replaced = await http(cluster.url('n2'), 'GET', kvPath('log-test-never-written'), {
        headers: { 'x-request-id': invalid },
      });
      expectErrorBody(replaced, 404);
      expect(replaced.body.requestId).toMatch(UUID);
    }

    const kept = await http(cluster.url('n3'), 'PUT', kvPath(KEY), {
      json: { value: VALUE },
      headers: { 'x-request-id': 'client-id-412', 'if-match': '"999"' },
    });
    expectErrorBody(kept, 412);
    expect(kept.body.requestId).toBe('client-id-412');

    const badJson = await http(cluster.url('n3'), 'PUT', kvPath(KEY), {
      body: '{"value":',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-id-400' },
    });
    expectErrorBody(badJson, 400);
    expect(badJson.body.requestId).toBe('client-id-400');
    const notAllowed = await http(cluster.url('n3'), 'PATCH', kvPath(KEY), { headers: { 'x-request-id': 'id-405' } });
    expectErrorBody(notAllowed, 405);
    expect(notAllowed.body.requestId).toBe('id-405');
    const badUrl = await http(cluster.url('n3'), 'GET', '/kv-store/v1/kv/%E0%A4%A', {
      headers: { 'x-request-id': 'id-bad-url' },
    });
    expectErrorBody(badUrl, 400);
    expect(badUrl.body.requestId).toBe('id-bad-url');
    await waitForLogLine(nodeProcess('n3'), (line) => requestLine('id-bad-url')(line) && line.route === null);
  });

  it('echoes the id on a watch stream too, whose answer is written by hand, and logs the stream once it ends', async () => {
    const stream = await SseStream.open(cluster.url('n1'), '/kv-store/v1/watch?prefix=log-test-', {
      'x-request-id': 'watch-id',
    });
    expect(stream.status).toBe(200);
    expect(stream.requestId).toBe('watch-id');
    stream.close();
    const line = await waitForLogLine(nodeProcess('n1'), requestLine('watch-id'));
    expect(line).toEqual(
      expect.objectContaining({ method: 'GET', route: '/kv-store/v1/watch', status: 200, aborted: true }),
    );
  });

  it('follows a forwarded write by its id into the log of the node that ran it', async () => {
    // Whichever node prefers the key, a write taken by either of the other two is forwarded to it.
    const ids = ['n1', 'n2', 'n3'].map((node) => ({ node, requestId: `follow-${node}` }));
    for (const { node, requestId } of ids) {
      const written = await http(cluster.url(node), 'PUT', kvPath(KEY), {
        json: { value: VALUE },
        headers: { 'x-request-id': requestId },
      });
      expect(written.status).toBe(200);
      await waitForLogLine(nodeProcess(node), requestLine(requestId));
    }
    const ranElsewhere = (requestId: string, taker: string): LogLine | undefined =>
      ['n1', 'n2', 'n3']
        .filter((id) => id !== taker)
        .flatMap((id) => logLinesOf(nodeProcess(id)))
        .find((line) => line.msg === 'ran a forwarded operation' && line.requestId === requestId);
    const deadline = Date.now() + 10_000;
    let followed = ids.map(({ node, requestId }) => ranElsewhere(requestId, node));
    while (followed.filter(Boolean).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      followed = ids.map(({ node, requestId }) => ranElsewhere(requestId, node));
    }
    const found = followed.filter((line): line is LogLine => line !== undefined);
    expect(found).toHaveLength(2);
    // One node ran both, and it is the one whose own write was not forwarded.
    const executor = found[0]!.nodeId;
    expect(found.map((line) => line.nodeId)).toEqual([executor, executor]);
    expect(ids.find((_, index) => followed[index] === undefined)!.node).toBe(executor);
    for (const line of found) {
      expect(line).toEqual(
        expect.objectContaining({ level: 'debug', context: 'ForwardedOpsController', op: 'put', outcome: 'ok' }),
      );
    }
    // And the nodes that took those writes said where they sent them, under the same ids.
    for (const [index, { node, requestId }] of ids.entries()) {
      if (followed[index] === undefined) continue;
      const sent = await waitForLogLine(
        nodeProcess(node),
        (line) => line.msg === 'forwarding an operation' && line.requestId === requestId,
      );
      expect(sent).toEqual(expect.objectContaining({ level: 'debug', context: 'KvService', op: 'put', to: executor }));
    }
  });

  it('never logs a key or a value, and every line of every node is JSON with level, time and node id', () => {
    for (const id of ['n1', 'n2', 'n3']) {
      const lines = logLinesOf(nodeProcess(id)); // throws on a line that is not JSON
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((line) => line.nodeId === id)).toBe(true);
      const text = nodeProcess(id).output();
      expect(text).not.toContain(VALUE);
      expect(text).not.toContain(KEY);
    }
  });
});
