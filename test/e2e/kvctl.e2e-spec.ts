import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { printClusterLogsOnFailure, TestCluster } from '../support/cluster';
import { waitUntilAllSeeFullQuorum } from '../support/full-quorum';

/** The built CLI, as `npm install @kv-store/client` installs it (npm run build makes it). */
const KVCTL = join(__dirname, '../../clients/typescript/dist/kvctl.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read fields freely
}

/** The real kvctl process against a real three-node cluster: exit codes and output. */
describe('kvctl', () => {
  let cluster: TestCluster;
  let endpoints: string;

  function kvctl(args: string[], env: Record<string, string> = { KV_ENDPOINTS: endpoints }): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [KVCTL, ...args],
        { env: { PATH: process.env.PATH ?? '', ...env } },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ code, stdout, stderr, json });
        },
      );
    });
  }

  beforeAll(async () => {
    if (!existsSync(KVCTL)) throw new Error(`${KVCTL} is missing: run npm run build first`);
    cluster = await TestCluster.start(3, { REQUEST_TIMEOUT_MS: '1500' });
    await cluster.waitUntilVoting(['n1', 'n2', 'n3']);
    endpoints = ['n1', 'n2', 'n3'].map((id) => cluster.url(id)).join(',');
    await waitUntilAllSeeFullQuorum(endpoints.split(','));
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  printClusterLogsOnFailure(() => cluster);

  it('puts a JSON value and reads it back, as JSON', async () => {
    const put = await kvctl(['put', 'config/app', '{"replicas": 3}']);
    expect(put).toMatchObject({
      code: 0,
      json: { key: 'config/app', value: { replicas: 3 }, version: 1, created: true },
    });
    const get = await kvctl(['get', 'config/app']);
    expect(get).toMatchObject({ code: 0, json: { key: 'config/app', value: { replicas: 3 }, version: 1 } });
    const text = await kvctl(['put', 'config/name', '"blue"', '--ttl', '60']);
    expect(text.json).toMatchObject({ value: 'blue', expiresAt: expect.any(String) });
  });

  it('exits 1 for a missing key, 2 for a failed precondition, 0 for a delete', async () => {
    expect((await kvctl(['get', 'never-written'])).code).toBe(1);
    await kvctl(['put', 'cas', '1']);
    expect((await kvctl(['put', 'cas', '2', '--if-match', '7'])).code).toBe(2);
    expect((await kvctl(['put', 'cas', '2', '--if-none-match'])).code).toBe(2);
    expect(await kvctl(['put', 'cas', '2', '--if-match', '1'])).toMatchObject({ code: 0, json: { version: 2 } });
    expect(await kvctl(['del', 'cas', '--if-match', '2'])).toMatchObject({
      code: 0,
      json: { key: 'cas', deleted: true },
    });
    const gone = await kvctl(['del', 'cas']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^kvctl: /);
  });

  it('exits 64 for a usage error', async () => {
    expect((await kvctl(['put', 'k', 'not json'])).code).toBe(64);
    expect((await kvctl(['frobnicate'])).code).toBe(64);
    expect((await kvctl(['get'])).code).toBe(64);
    expect((await kvctl(['put', 'k', '1', '--ttl', 'soon'])).code).toBe(64);
    const noEndpoints = await kvctl(['get', 'k'], {});
    expect(noEndpoints.code).toBe(64);
    expect(noEndpoints.stderr).toMatch(/KV_ENDPOINTS/);
    expect((await kvctl(['--help'])).code).toBe(0);
  });

  it('lists by prefix across pages, as JSON or as a table', async () => {
    for (const key of ['ls/a', 'ls/b', 'ls/c']) await kvctl(['put', key, JSON.stringify(key)]);
    const all = await kvctl(['list', '--prefix', 'ls/']);
    expect(all.json.map((item: { key: string }) => item.key)).toEqual(['ls/a', 'ls/b', 'ls/c']);
    const two = await kvctl(['list', '--prefix', 'ls/', '--limit', '2', '--keys-only']);
    expect(two.json).toEqual([
      { key: 'ls/a', version: 1 },
      { key: 'ls/b', version: 1 },
    ]);
    const table = await kvctl(['list', '--prefix', 'ls/', '--output', 'table']);
    expect(table.stdout.split('\n')[0]).toMatch(/^KEY\s+VERSION\s+VALUE/);
    expect(table.stdout).toContain('ls/c');
  });

  it('shows each node, its role and its peers, with --endpoints', async () => {
    const status = await kvctl(['status', '--endpoints', endpoints], {});
    expect(status.code).toBe(0);
    expect(status.json).toHaveLength(3);
    expect(status.json[0]).toMatchObject({
      url: cluster.url('n1'),
      nodeId: 'n1',
      reachable: true,
      role: 'voter',
      ready: true,
      quorum: { voting: 3, needed: 2, clusterSize: 3 },
      roundTripMs: expect.any(Number),
      peers: { n2: { reachable: true, voting: true }, n3: { reachable: true, voting: true } },
    });
    const table = await kvctl(['status', '-o', 'table']);
    expect(table.stdout).toMatch(/^NODE\s+URL\s+ROLE\s+READY\s+VOTING\s+RTT/);
    expect(table.stdout).toMatch(/n3\s+http:\S+\s+voter\s+yes\s+3\/3 \(needs 2\)/);
  });

  it('watches a prefix, printing each change as a JSON line', async () => {
    const watch = spawn(process.execPath, [KVCTL, 'watch', '--prefix', 'kw/'], {
      env: { PATH: process.env.PATH ?? '', KV_ENDPOINTS: endpoints },
    });
    let stdout = '';
    let stderr = '';
    // The output is gathered by one pair of listeners for the whole test: each wait
    // only looks at it (a listener per wait would append a chunk once per wait).
    const waits = new Set<() => void>();
    const checkWaits = () => waits.forEach((check) => check());
    watch.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), checkWaits()));
    watch.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), checkWaits()));
    const until = (ready: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!ready()) return;
          waits.delete(check);
          resolve();
        };
        waits.add(check);
        check();
      });
    try {
      await until(() => /watching on http/.test(stderr));
      await kvctl(['put', 'kw/x', '{"n": 1}']);
      await kvctl(['del', 'kw/x']);
      await until(() => stdout.split('\n').length >= 3);
      const lines = stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      expect(lines).toEqual([
        { type: 'put', id: expect.any(String), key: 'kw/x', value: { n: 1 }, version: 1 },
        { type: 'delete', id: expect.any(String), key: 'kw/x', version: 2 },
      ]);
    } finally {
      const exited = new Promise((resolve) => watch.once('exit', resolve));
      watch.kill();
      await exited;
    }
  });

  it('fails over when a node is killed, and exits 3 once no quorum is left', async () => {
    await kvctl(['put', 'survivor', '1']);
    await cluster.kill('n1');
    // n1 comes first in KV_ENDPOINTS: each run starts there, is refused, and moves on.
    expect(await kvctl(['put', 'survivor', '2'])).toMatchObject({ code: 0, json: { version: 2 } });
    expect(await kvctl(['get', 'survivor'])).toMatchObject({ code: 0, json: { value: 2 } });
    const status = await kvctl(['status']);
    expect(status.json.map((node: { role: string }) => node.role)).toEqual(['unreachable', 'voter', 'voter']);
    await cluster.kill('n2');
    const write = await kvctl(['put', 'survivor', '3']);
    expect(write.code).toBe(3);
    expect(write.stderr).toMatch(/^kvctl: /);
  }, 30_000);
});
