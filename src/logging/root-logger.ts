import pino, { DestinationStream, Level, Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { LogFormat, LogLevel } from '../config/app-config';

/** LOG_LEVEL takes pino's names and, as earlier releases did, Nest's `log` and `verbose`. */
const PINO_LEVEL: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
  trace: 'trace',
};

/**
 * Fields that must never reach a log, whoever logs them by mistake: values and
 * secrets. Nothing in this code base logs them; this is the second line.
 */
const REDACTED_PATHS = [
  'value',
  '*.value',
  'values',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'clusterSecret',
  '*.clusterSecret',
  'secret',
];

/** The fields of a request line that the pretty format puts on the line itself (JSON keeps them as fields). */
const REQUEST_FIELDS = ['method', 'route', 'status', 'durationMs', 'requestId'];

export interface LoggerSettings {
  readonly nodeId: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

/**
 * The node's one logger: Fastify's request logs, Nest's logger (through
 * NestPinoLogger) and the start-up and shutdown lines all write through it,
 * so every line has the same fields (level, time, nodeId) and format.
 * Writes are synchronous, so nothing logged before a process.exit is lost.
 * `destination` is for tests; the node writes to standard output.
 */
export function createRootLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options = {
    level: PINO_LEVEL[settings.logLevel],
    base: { nodeId: settings.nodeId, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (settings.logFormat === 'pretty') return pino(options, destination ?? prettyStream());
  // Level names ("info"), not numbers: readable in a terminal and in every log collector's query language.
  return pino(
    { ...options, formatters: { level: (label: string) => ({ level: label }) } },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** One line per event for a person: time, level, [context], the message; a request as "GET /route 200 1.2 ms (id)". */
function prettyStream(): DestinationStream {
  return pinoPretty({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: ['pid', 'hostname', 'nodeId', 'context', ...REQUEST_FIELDS].join(','),
    singleLine: true,
    messageFormat: (log, messageKey) => {
      const text = (field: unknown): string =>
        typeof field === 'string' || typeof field === 'number' ? String(field) : JSON.stringify(field);
      const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
      const request =
        typeof log.status === 'number'
          ? `${text(log.method)} ${text(log.route)} ${log.status} ${text(log.durationMs)} ms `
          : '';
      const id = typeof log.requestId === 'string' ? ` (request ${log.requestId})` : '';
      return `${text(log.nodeId)} ${context}${request}${text(log[messageKey] ?? '')}${id}`;
    },
  });
}
