import { LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureHttpPipeline, createHttpAdapter } from './http/http-pipeline';
import { AppConfig, LogLevel } from './config/app-config';

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
  return app;
}
