import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives a single-node default with nothing set', () => {
    const config = loadConfig({});
    expect(config).toEqual(
      expect.objectContaining({
        port: 8000,
        nodeId: 'node1',
        databaseUrl: undefined,
        peers: [],
        maxValueBytes: 1048576,
        maxBatchItems: 1000,
      }),
    );
    expect(config.dataDir).toMatch(/data\/node1$/);
  });

  it('reads numbers and treats empty variables as unset', () => {
    const config = loadConfig({
      PORT: '3001',
      MAX_BATCH_ITEMS: '10',
      DATABASE_URL: '',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
    });
    expect(config.port).toBe(3001);
    expect(config.maxBatchItems).toBe(10);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe('debug');
    expect(config.logFormat).toBe('pretty');
  });

  it('logs JSON lines at info by default', () => {
    expect(loadConfig({})).toEqual(expect.objectContaining({ logLevel: 'info', logFormat: 'json' }));
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        NODE_ID: 'bad id!',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        LOG_FORMAT: 'xml',
        MAX_VALUE_BYTES: '-1',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const variable of ['PORT', 'NODE_ID', 'DATABASE_URL', 'LOG_LEVEL', 'LOG_FORMAT', 'MAX_VALUE_BYTES']) {
      expect(problems).toContain(variable);
    }
  });

  it('parses PEERS and requires a secret with peers', () => {
    const env = { NODE_ID: 'n1', PEERS: 'n2=http://node2:8000, n3=http://node3:8000/' };
    expect(() => loadConfig(env)).toThrow(/CLUSTER_SECRET/);
    const config = loadConfig({ ...env, CLUSTER_SECRET: 'a-secret-of-sixteen+' });
    expect(config.peers).toEqual([
      { id: 'n2', url: 'http://node2:8000' },
      { id: 'n3', url: 'http://node3:8000' },
    ]);
  });

  it("accepts the origin system's REPLICA_NODES and derives ids from the URLs", () => {
    const config = loadConfig({
      NODE_ID: 'n1',
      CLUSTER_SECRET: 'a-secret-of-sixteen+',
      REPLICA_NODES: '[{"url":"http://node2:8000/kv-store/v1"},{"url":"http://node3:8000/kv-store/v1/"}]',
    });
    expect(config.peers).toEqual([
      { id: 'node2-8000', url: 'http://node2:8000' },
      { id: 'node3-8000', url: 'http://node3:8000' },
    ]);
  });

  it.each([
    ['itself as a peer', { NODE_ID: 'n1', PEERS: 'n1=http://a:1' }, /itself/],
    ['a duplicate id', { PEERS: 'n2=http://a:1,n2=http://b:1' }, /twice/],
    ['an entry without =', { PEERS: 'http://a:1' }, /id=url/],
    ['a bad URL', { PEERS: 'n2=not a url' }, /not a URL/],
    ['both forms', { PEERS: 'n2=http://a:1', REPLICA_NODES: '[]' }, /not both/],
    ['REPLICA_NODES that is not JSON', { REPLICA_NODES: '[{' }, /not valid JSON/],
  ])('rejects %s', (_label, env, message) => {
    expect(() => loadConfig({ CLUSTER_SECRET: 'a-secret-of-sixteen+', ...env })).toThrow(message);
  });
});
