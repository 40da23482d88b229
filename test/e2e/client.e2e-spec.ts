import { KvClient, NotFound, PreconditionFailed, RequestRejected, WatchEvent } from '../../clients/typescript/src';
import { printClusterLogsOnFailure, TestCluster } from '../support/cluster';
import { waitUntilAllSeeFullQuorum } from '../support/full-quorum';

/** The TypeScript client (clients/typescript) against three real node processes. */
describe('TypeScript client on a three-node cluster', () => {
  let cluster: TestCluster;
  let client: KvClient;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1500' });
    await cluster.waitUntilVoting(['n1', 'n2', 'n3']);
    client = new KvClient({ endpoints: ['n1', 'n2', 'n3'].map((id) => cluster.url(id)) });
    await waitUntilAllSeeFullQuorum(client.endpoints);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('puts, reads and deletes a key, with versions as numbers and typed errors', async () => {
    expect(await client.put('greeting', { text: 'hello' })).toEqual({
      key: 'greeting',
      value: { text: 'hello' },
      version: 1,
      created: true,
    });
    expect(await client.get('greeting')).toEqual({ key: 'greeting', value: { text: 'hello' }, version: 1 });
    expect(await client.put('greeting', 'bye', { ifMatch: 1 })).toMatchObject({ version: 2, created: false });
    await expect(client.put('greeting', 'late', { ifMatch: 1 })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(client.put('greeting', 'again', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailed);
    await client.delete('greeting', { ifMatch: 2 });
    const gone = await client.get('greeting').catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(NotFound);
    expect(gone).toMatchObject({ key: 'greeting', version: 3 }); // the delete's version
    await expect(client.delete('greeting')).rejects.toBeInstanceOf(NotFound);
    await expect(client.put('', 1)).rejects.toBeInstanceOf(RequestRejected);
  });

  it('keys with slashes and spaces, a TTL, and a rejected request', async () => {
    const written = await client.put('users/42 x', 'x', { ttlSeconds: 60 });
    expect(written.expiresAt).toEqual(expect.any(String));
    expect(await client.get('users/42 x')).toMatchObject({ value: 'x', expiresAt: written.expiresAt });
    const rejected = await client.put('t', 1, { ttlSeconds: 0 }).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(RequestRejected);
    expect(rejected).toMatchObject({ status: 400 });
  });

  it('writes a batch and lists it page by page', async () => {
    const results = await client.batch([
      { key: 'list/a', value: 1 },
      { key: 'list/b', value: [2] },
      { key: 'list/c', value: null },
    ]);
    expect(results).toEqual([
      { key: 'list/a', status: 201, version: 1 },
      { key: 'list/b', status: 201, version: 1 },
      { key: 'list/c', status: 201, version: 1 },
    ]);
    const first = await client.list({ prefix: 'list/', limit: 2 });
    expect(first.items.map((item) => item.key)).toEqual(['list/a', 'list/b']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const keys: string[] = [];
    for await (const item of client.listAll({ prefix: 'list/', limit: 1, keysOnly: true })) {
      expect(item).not.toHaveProperty('value');
      keys.push(item.key);
    }
    expect(keys).toEqual(['list/a', 'list/b', 'list/c']);
  });

  it('reports each node with its view of the quorum and its peers', async () => {
    const nodes = await client.status();
    expect(nodes.map((node) => [node.url, node.reachable, node.httpStatus])).toEqual(
      ['n1', 'n2', 'n3'].map((id) => [cluster.url(id), true, 200]),
    );
    expect(nodes[0]!.health!.details.quorum).toMatchObject({ status: 'up', voting: 3, needed: 2 });
    expect(nodes[0]!.health!.details.cluster).toMatchObject({ nodeId: 'n1', peers: { n2: { reachable: true } } });
  });

  /** Watches with a client of its own, which starts on n1; resolves `started` each time a node takes it. */
  function watcher(prefix: string) {
    const events: WatchEvent[] = [];
    const starts: string[] = [];
    let onStart: (() => void) | undefined;
    const stop = new AbortController();
    const own = new KvClient({ endpoints: ['n1', 'n2', 'n3'].map((id) => cluster.url(id)) });
    let wake: (() => void) | undefined;
    const done = (async () => {
      const stream = own.watch({
        prefix,
        signal: stop.signal,
        onStarted: (url) => {
          starts.push(url);
          onStart?.();
        },
      });
      for await (const event of stream) {
        events.push(event);
        wake?.();
      }
    })();
    return {
      events,
      starts,
      /** Until a node (the n-th, counting from 1) has taken the watch. */
      started: (count: number) =>
        new Promise<void>((resolve) => {
          onStart = () => starts.length >= count && resolve();
          onStart();
        }),
      /** Until an event for which `seen` holds has arrived. */
      until: (seen: (event: WatchEvent) => boolean) =>
        new Promise<void>((resolve) => {
          wake = () => events.some(seen) && resolve();
          wake();
        }),
      stop: async () => {
        stop.abort();
        await done;
      },
    };
  }

  it('watches a prefix: each put and delete, with its version', async () => {
    const watch = watcher('w/');
    await watch.started(1);
    await client.put('w/a', 1);
    await client.put('elsewhere', 1);
    await client.put('w/a', 2);
    await client.delete('w/a');
    await watch.until((event) => event.type === 'delete');
    await watch.stop();
    expect(watch.events.map(({ id, ...change }) => ({ ...change, id: typeof id }))).toEqual([
      { type: 'put', key: 'w/a', value: 1, version: 1, id: 'string' },
      { type: 'put', key: 'w/a', value: 2, version: 2, id: 'string' },
      { type: 'delete', key: 'w/a', version: 3, id: 'string' },
    ]);
  });

  it('goes on reading, writing and watching when a node is killed, applying each write once', async () => {
    await client.put('failover', 0);
    const watch = watcher('failover');
    await watch.started(1);
    expect(watch.starts).toEqual([cluster.url('n1')]);
    await client.put('failover', 'seen on n1');
    await watch.until((event) => event.type === 'put' && event.version === 2);
    await cluster.kill('n1');
    // Every request starts on another node in turn, so n1 is asked first again and again: its
    // refused connections move reads and writes on, and a write that moved on was never sent twice.
    for (let round = 1; round <= 6; round++) {
      expect(await client.put('failover', round)).toMatchObject({ version: round + 2 });
      expect(await client.get('failover')).toMatchObject({ value: round, version: round + 2 });
    }
    expect((await client.list({ prefix: 'failover' })).items).toHaveLength(1);
    const nodes = await client.status();
    expect(nodes.map((node) => node.reachable)).toEqual([false, true, true]);
    expect(nodes[0]!.error).toMatch(/ECONNREFUSED/);
    // The watch resumed on another node after the last event it had (Last-Event-ID): it goes on to the
    // last write, in order, with nothing twice. (Where that node cannot prove it has every change since,
    // it says so with a resync event, after which a client lists again.)
    await watch.until((event) => event.type === 'put' && event.version === 8);
    await watch.stop();
    expect(watch.starts.length).toBeGreaterThanOrEqual(2);
    const versions = watch.events.flatMap((event) => (event.type === 'put' ? [event.version] : []));
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(versions).toContain(2);
  });
});
