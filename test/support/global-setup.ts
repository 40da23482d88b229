import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

export interface EmbeddedTestServer {
  /** This run's own directory, removed by the global teardown. */
  readonly directory: string;
  stop(): Promise<void>;
}

/**
 * The e2e tests need a PostgreSQL server to create their databases on:
 * TEST_DATABASE_URL when set (CI points it at the machine's server), else an
 * embedded one started here, so `npm test` passes with nothing but Node. Each
 * run gets a directory of its own, so two runs on one machine never meet.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const directory = await mkdtemp(path.join(os.tmpdir(), 'kv-store-test-server-'));
  try {
    // mkdtemp makes it 0700; as root, PostgreSQL runs as user 'postgres', which must enter it.
    await chmod(directory, 0o755);
    const quiet = { log: () => undefined, debug: () => undefined, warn: (m: string) => console.warn(m) };
    const server = await startEmbeddedPostgres(directory, quiet);
    process.env.TEST_DATABASE_URL = server.url;
    const running: EmbeddedTestServer = { directory, stop: () => server.stop() };
    (globalThis as { embeddedTestServer?: EmbeddedTestServer }).embeddedTestServer = running;
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
