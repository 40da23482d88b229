import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { configureHttpPipeline, createHttpAdapter } from './http/http-pipeline';
import { AppConfig } from './config/app-config';
import { NestPinoLogger } from './logging/nest-pino-logger';
import { createRootLogger } from './logging/root-logger';
import { setUpOpenApi } from './openapi/openapi';
import { Departure } from './replication/routing/departure';

/**
 * Builds the application (not yet listening): shared by main.ts and the tests.
 * Everything it logs, Fastify's lines and Nest's, goes through `logger`.
 */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  logger: Logger = createRootLogger(config),
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    createHttpAdapter(config, logger),
    // bodyParser off: Nest would add a form (urlencoded) parser; Fastify's own JSON parser stays.
    { logger: new NestPinoLogger(logger), bodyParser: false },
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
