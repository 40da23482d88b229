import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase, TestDatabase } from './database';

export interface TestNode {
  readonly baseUrl: string;
  readonly config: AppConfig;
  readonly database: TestDatabase;
  readonly app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * One in-process node on a fresh database, listening on a free loopback port,
 * with the same HTTP pipeline (ValidationPipe, filters, limits) as production.
 */
export async function startTestNode(env: Record<string, string> = {}): Promise<TestNode> {
  const database = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'error', ...env, DATABASE_URL: database.url });
  const app = await createApp(config, database.url);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    config,
    database,
    app,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
