import path from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Environment, LogFormat, LogLevel } from './environment';

export type { LogFormat, LogLevel };
import { PeerConfig, parsePeers } from './peers';

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly nodeId: string;
  /** Unset: the node starts its own embedded PostgreSQL under dataDir. */
  readonly databaseUrl?: string;
  readonly databasePoolSize: number;
  readonly dataDir: string;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  readonly maxBatchItems: number;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** The change feed keeps at most this many events... */
  readonly watchRetentionEvents: number;
  /** ...and none older than this: a watcher resuming from before gets a resync. */
  readonly watchRetentionSeconds: number;
  /** Most open watch streams on one node; more are refused with 503. */
  readonly watchMaxStreams: number;
  /** Long polls (GET with waitSeconds) open at once on this node; more are refused with 503. */
  readonly maxLongPolls: number;
  /** After a stop signal: how long the node goes on serving, not ready and nobody's proposer, before it closes. */
  readonly shutdownDrainMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly peers: readonly PeerConfig[];
  readonly clusterSecret?: string;
}

/** Keys are 1..1024 bytes of UTF-8: the contract of the origin system's API. */
export const MAX_KEY_BYTES = 1024;

/** Most bytes of one request between nodes: a peer batch carries many clients' values at once. */
export function peerBodyLimit(config: Pick<AppConfig, 'maxBodyBytes'>): number {
  return config.maxBodyBytes * 16;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Parses and checks the environment; throws a ConfigError that lists every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable counts as unset, as in most twelve-factor services.
  const raw = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = plainToInstance(Environment, raw);
  // whitelist drops the rest of the process environment from the instance.
  const problems = validateSync(parsed, { whitelist: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) => `${error.property}: ${message}`),
  );

  const nodeId = parsed.NODE_ID ?? 'node1';
  let peers: PeerConfig[] = [];
  try {
    peers = parsePeers({ peers: parsed.PEERS, replicaNodes: parsed.REPLICA_NODES, selfId: nodeId });
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (peers.length > 0 && !parsed.CLUSTER_SECRET) {
    problems.push('CLUSTER_SECRET: required when the node has peers (PEERS or REPLICA_NODES)');
  }

  const maxValueBytes = parsed.MAX_VALUE_BYTES ?? 1024 * 1024;
  const maxBodyBytes = parsed.MAX_BODY_BYTES ?? Math.max(16 * 1024 * 1024, maxValueBytes + 64 * 1024);
  if (maxBodyBytes < maxValueBytes + MAX_KEY_BYTES) {
    problems.push('MAX_BODY_BYTES: must leave room for one value of MAX_VALUE_BYTES and its key');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: parsed.PORT ?? 8000,
    host: parsed.HOST ?? '0.0.0.0',
    nodeId,
    databaseUrl: parsed.DATABASE_URL,
    databasePoolSize: parsed.DATABASE_POOL_SIZE ?? 10,
    dataDir: path.resolve(parsed.DATA_DIR ?? path.join('data', nodeId)),
    maxKeyBytes: MAX_KEY_BYTES,
    maxValueBytes,
    maxBatchItems: parsed.MAX_BATCH_ITEMS ?? 1000,
    maxBodyBytes,
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS ?? 2000,
    watchRetentionEvents: parsed.WATCH_RETENTION_EVENTS ?? 100_000,
    watchRetentionSeconds: parsed.WATCH_RETENTION_SECONDS ?? 3600,
    watchMaxStreams: parsed.WATCH_MAX_STREAMS ?? 10_000,
    maxLongPolls: parsed.MAX_LONG_POLLS ?? 10_000,
    shutdownDrainMs: parsed.SHUTDOWN_DRAIN_MS ?? 3000,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    logFormat: parsed.LOG_FORMAT ?? 'json',
    peers,
    clusterSecret: parsed.CLUSTER_SECRET,
  };
}
