import { rm } from 'node:fs/promises';
import type { EmbeddedTestServer } from './global-setup';

/** Stops this run's embedded server, if it started one, and removes its directory. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { embeddedTestServer?: EmbeddedTestServer };
  const server = holder.embeddedTestServer;
  if (!server) return;
  holder.embeddedTestServer = undefined;
  try {
    await server.stop();
  } finally {
    await rm(server.directory, { recursive: true, force: true });
  }
}
