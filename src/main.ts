import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { NestPinoLogger } from './logging/nest-pino-logger';
import { createRootLogger } from './logging/root-logger';
import type { Logger as PinoLogger } from 'pino';
import { Departure } from './replication/routing/departure';

/** After its drain period, how long a stopping node waits for in-flight requests before it exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Once the configuration is read: a failed start is logged as every other line. */
let startupLogger: PinoLogger | undefined;

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`kv-store: ${error.message}`);
    process.exit(2);
  }
  const rootLogger = createRootLogger(config);
  startupLogger = rootLogger;
  // Every `new Logger(context)`, before the app exists too, writes through the node's one logger.
  Logger.overrideLogger(new NestPinoLogger(rootLogger));
  const logger = new Logger('kv-store');

  // Installed before anything is started: without them, a SIGTERM or Ctrl-C
  // while the embedded server starts (seconds on a first run) would end the node
  // at once and leave that server running, an orphan. During startup the signal
  // is only noted, and acted on when the step under way has finished, so that
  // what it started is stopped too. A second signal takes the default action.
  let requested: NodeJS.Signals | undefined;
  let listening = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) return;
    requested = signal;
    // Once listening, stop (defined below) exists.
    if (listening) void stop(signal);
    else logger.log(`${signal} during startup: stopping once the step under way has finished`);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, onSignal);

  const database = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres(config.dataDir, logger);
  if (config.databaseUrl) logger.log('using the PostgreSQL server at DATABASE_URL');

  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    logger.log(`${signal}: finishing in-flight requests, then stopping`);
    const drainMs = listening ? config.shutdownDrainMs : 0; // an app that never listened has nothing to drain
    const forceExit = setTimeout(() => process.exit(1), drainMs + SHUTDOWN_GRACE_MS);
    forceExit.unref();
    try {
      if (app && listening) {
        // Peers stop sending it keys to propose, readiness turns 503, answers close their
        // connections; it serves on meanwhile, so nothing in flight meets a closed node.
        await app.get(Departure).leave();
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      await app?.close();
      await database.stop();
    } finally {
      process.exit(0);
    }
  };
  if (requested) return stop(requested);

  try {
    app = await createApp(config, database.url, rootLogger);
    if (requested) return stop(requested);
    await app.listen(config.port, config.host);
  } catch (error) {
    // Leave no embedded server (and no claim on its data directory) behind;
    // the app's connections close first, so the server's stop is no error to them.
    await app?.close().catch(() => undefined);
    await database.stop();
    throw error;
  }
  listening = true;
  logger.log(`node ${config.nodeId} listening on http://${config.host}:${config.port}/kv-store/v1`);
  if (requested) return stop(requested);
}

bootstrap().catch((error: unknown) => {
  const message = `kv-store failed to start: ${error instanceof Error ? error.message : String(error)}`;
  if (startupLogger) startupLogger.fatal(message);
  else console.error(message);
  process.exit(1);
});
