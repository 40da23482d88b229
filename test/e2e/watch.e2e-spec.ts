import { expectErrorBody, http, kvPath } from '../support/http';
import { TestCluster, printClusterLogsOnFailure } from '../support/cluster';
import { SseStream } from '../support/sse';

/** GET /kv-store/v1/watch: changes under a prefix as Server-Sent Events, on three real node processes. */
describe('watching a prefix (three-node cluster)', () => {
  let cluster: TestCluster;
  const streams: SseStream[] = [];
  const put = (node: string, key: string, value: unknown) =>
    http(cluster.url(node), 'PUT', kvPath(key), { json: { value } });
  const del = (node: string, key: string) => http(cluster.url(node), 'DELETE', kvPath(key));
  const watch = async (node: string, prefix: string, lastEventId?: string) => {
    const stream = await SseStream.open(
      cluster.url(node),
      `/kv-store/v1/watch?prefix=${encodeURIComponent(prefix)}`,
      lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    );
    streams.push(stream);
    return stream;
  };
  /** Until the stream has its position: the frontier it starts at (events follow from there). */
  const started = (stream: SseStream) => stream.until((s) => s.lastEventId !== '', 10_000, 'starting position');

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '2000' });
  }, 60_000);
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('streams puts and deletes made on every node, under the prefix only, in version order, each with an id', async () => {
    const stream = await watch('n1', 'app/');
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    await started(stream);

    expect((await put('n2', 'app/a', { n: 1 })).status).toBe(201);
    expect((await put('n3', 'app/b', 'x')).status).toBe(201);
    expect((await put('n3', 'other/c', 1)).status).toBe(201);
    expect((await put('n1', 'app/a', { n: 2 })).status).toBe(200);
    expect((await del('n2', 'app/b')).status).toBe(204);
    await stream.until((s) => s.changes().length >= 4);

    expect(stream.changes()).toEqual([
      { event: 'put', key: 'app/a', value: { n: 1 }, version: 1 },
      { event: 'put', key: 'app/b', value: 'x', version: 1 },
      { event: 'put', key: 'app/a', value: { n: 2 }, version: 2 },
      { event: 'delete', key: 'app/b', value: null, version: 2 },
    ]);
    const ids = stream.events.map((e) => e.lastEventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(stream.events.filter((e) => e.event === 'resync')).toEqual([]);
  });

  it('shows a TTL as expiresAt, and the expiry as a delete with a new version', async () => {
    const stream = await watch('n2', 'lease/');
    await started(stream);
    const written = await http(cluster.url('n3'), 'PUT', kvPath('lease/a'), { json: { value: 'held', ttlSeconds: 1 } });
    expect(written.status).toBe(201);
    await stream.until((s) => s.changes().length >= 2, 10_000, 'the put and the expiry');
    const [put, expired] = stream.events.filter((e) => e.event !== 'resync').map((e) => JSON.parse(e.data) as object);
    expect(put).toEqual({ key: 'lease/a', value: 'held', version: 1, expiresAt: written.body.expiresAt });
    expect(stream.events.filter((e) => e.event !== 'resync').map((e) => e.event)).toEqual(['put', 'delete']);
    expect(expired).toEqual({ key: 'lease/a', value: null, version: 2 });
  });

  it('resumes on another node from Last-Event-ID with exactly the changes after it', async () => {
    const first = await watch('n1', 'resume/');
    await started(first);
    for (let i = 1; i <= 3; i++) expect((await put(`n${i}`, `resume/k${i}`, i)).status).toBe(201);
    await first.until((s) => s.changes().length >= 3);
    const lastSeen = first.events.at(-1)!.lastEventId;
    first.close();

    // Changes while nobody watches, on every node.
    for (let i = 4; i <= 6; i++) expect((await put(`n${i - 3}`, `resume/k${i}`, i)).status).toBe(201);
    const second = await watch('n2', 'resume/', lastSeen);
    await second.until((s) => s.changes().length >= 3);
    expect((await put('n3', 'resume/k7', 7)).status).toBe(201);
    await second.until((s) => s.changes().length >= 4);

    expect(second.changes().map((c) => c.key)).toEqual(['resume/k4', 'resume/k5', 'resume/k6', 'resume/k7']);
    expect(second.events.filter((e) => e.event === 'resync')).toEqual([]);
  });

  it('sends resync to a watcher resuming from before the node started (its feed may lack what came before)', async () => {
    const stream = await watch('n3', 'old/', '1');
    await stream.until((s) => s.events.some((e) => e.event === 'resync'));
    expect(stream.events[0]!.event).toBe('resync');
  });

  it('keeps streaming, after one resync at most, when a node is killed', async () => {
    const stream = await watch('n1', 'kill/');
    await started(stream);
    expect((await put('n2', 'kill/before', 1)).status).toBe(201);
    await stream.until((s) => s.changes().length >= 1);
    await cluster.kill('n3');
    try {
      for (let i = 0; i < 5; i++) expect((await put(i % 2 ? 'n1' : 'n2', `kill/after${i}`, i)).status).toBe(201);
      await stream.until((s) => s.changes().length >= 6, 15_000);
      expect(stream.changes().map((c) => c.key)).toEqual([
        'kill/before',
        'kill/after0',
        'kill/after1',
        'kill/after2',
        'kill/after3',
        'kill/after4',
      ]);
      expect(stream.events.filter((e) => e.event === 'resync').length).toBeLessThanOrEqual(1);
    } finally {
      await cluster.startNode('n3');
      await cluster.waitUntilReady(['n3']);
    }
  }, 60_000);

  it('refuses a bad prefix or Last-Event-ID with a 400 in the error shape, before streaming', async () => {
    const nul = await http(cluster.url('n1'), 'GET', '/kv-store/v1/watch?prefix=a%00b');
    expect(nul.status).toBe(400);
    expectErrorBody(nul, 400);
    for (const id of ['garbage', '-1', '1.%%', '99999999999999999']) {
      const bad = await http(cluster.url('n1'), 'GET', '/kv-store/v1/watch?prefix=a', {
        headers: { 'last-event-id': id },
      });
      expect({ id, status: bad.status }).toEqual({ id, status: 400 });
      expectErrorBody(bad, 400);
    }
    const unknownParam = await http(cluster.url('n1'), 'GET', '/kv-store/v1/watch?prefix=a&since=3');
    expect(unknownParam.status).toBe(400);
  });
});
