import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, nestLogLevels } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';

/** How long a stopping node waits for in-flight requests before it exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`kv-store: ${error.message}`);
    process.exit(2);
  }
  Logger.overrideLogger(nestLogLevels(config.logLevel));
  const logger = new Logger('kv-store');

  const database = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres(config.dataDir, logger);
  if (config.databaseUrl) logger.log('using the PostgreSQL server at DATABASE_URL');

  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    app = await createApp(config, database.url);
    await app.listen(config.port, config.host);
  } catch (error) {
    // Leave no embedded server (and no claim on its data directory) behind;
    // the app's connections close first, so the server's stop is no error to them.
    await app?.close().catch(() => undefined);
    await database.stop();
    throw error;
  }
  logger.log(`node ${config.nodeId} listening on http://${config.host}:${config.port}/kv-store/v1`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight requests, then stopping`);
    const forceExit = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    forceExit.unref();
    try {
      // The implementation hands the signal to lifecycle hooks (Terminus keeps
      // readiness at 503 for a drain period only on SIGTERM); the public type omits it.
      await (app as unknown as { close(signal?: string): Promise<void> }).close(signal);
      await database.stop();
    } finally {
      process.exit(0);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void stop(s));
}

bootstrap().catch((error: unknown) => {
  console.error('kv-store failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
