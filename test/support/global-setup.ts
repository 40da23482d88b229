import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * The e2e tests need a PostgreSQL server to create their databases on:
 * TEST_DATABASE_URL when set (CI points it at the machine's server), else an
 * embedded one started here, so `npm test` passes with nothing but Node.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const quiet = { log: () => undefined, debug: () => undefined, warn: (m: string) => console.warn(m) };
  const server = await startEmbeddedPostgres(path.join(os.tmpdir(), 'kv-store-test-server'), quiet);
  process.env.TEST_DATABASE_URL = server.url;
  (globalThis as { embeddedTestServer?: typeof server }).embeddedTestServer = server;
}
