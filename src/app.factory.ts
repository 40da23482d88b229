import { LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureHttpPipeline, createHttpAdapter } from './http/http-pipeline';
import { AppConfig, LogLevel } from './config/app-config';
import { setUpOpenApi } from './openapi/openapi';
import { Departure } from './replication/routing/departure';

const LEVELS_UP_TO: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function nestLogLevels(level: LogLevel): NestLogLevel[] {
  return LEVELS_UP_TO[level];
}

/** Builds the application (not yet listening): shared by main.ts and the tests. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    createHttpAdapter(config),
    // bodyParser off: Nest would add a form (urlencoded) parser; Fastify's own JSON parser stays.
    { logger: nestLogLevels(config.logLevel), bodyParser: false },
  );
  configureHttpPipeline(app);
  setUpOpenApi(app);
  closeConnectionsWhileLeaving(app);
  return app;
}

/**
 * While the node is leaving, every answer closes its connection: clients and
 * balancers that reuse connections must open new ones, which take them to the
 * nodes that stay, instead of meeting this one's close with a request on the wire.
 */
function closeConnectionsWhileLeaving(app: NestFastifyApplication): void {
  const departure = app.get(Departure);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (_request, reply, payload, done) => {
      if (departure.leaving) reply.header('connection', 'close');
      done(null, payload);
    });
}
