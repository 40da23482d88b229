/**
 * The bodies kv-store sends and takes, as its OpenAPI document
 * (/kv-store/v1/openapi.json) describes them: each interface here bears the
 * name of a schema there, and a test in the kv-store repository
 * (test/e2e/client-wire-types.e2e-spec.ts) checks every one, property by
 * property, against the document a node serves. Versions are numbers: exact
 * JSON numbers up to 2^53.
 */

/** A key's current state (GET and PUT answers). */
export interface Entry {
  key: string;
  value: unknown;
  version: number;
  /** RFC 3339, UTC; only on a key with a TTL. */
  expiresAt?: string;
}

export interface PutRequest {
  value: unknown;
  ttlSeconds?: number;
}

export interface ListedItem {
  key: string;
  /** Left out with keysOnly. */
  value?: unknown;
  version: number;
  expiresAt?: string;
}

export interface ListPage {
  items: ListedItem[];
  /** Pass it back as `cursor` for the next page; null once the range is done. */
  nextCursor: string | null;
}

/** GET /kv-store/v1/kv's query. */
export interface ListQuery {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  cursor?: string;
  keysOnly?: 'true' | 'false';
  consistency?: 'linearizable' | 'local';
}

/** GET /kv-store/v1/kv/{key}'s query. */
export interface GetQuery {
  consistency?: 'linearizable' | 'local';
  waitSeconds?: number;
  afterVersion?: number;
}

export interface BatchItem {
  key: string;
  value: unknown;
  ttlSeconds?: number;
}

export interface BatchRequest {
  items: BatchItem[];
}

export interface BatchItemWritten {
  key: string;
  status: 200 | 201;
  version: number;
  expiresAt?: string;
}

export interface BatchItemFailed {
  key: string;
  status: number;
  error: string;
  message: string;
}

export interface BatchResult {
  results: (BatchItemWritten | BatchItemFailed)[];
}

/** Every 4xx and 5xx answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** The request's id (X-Request-Id), as in the node's log lines: quote it when reporting a failure. */
  requestId: string;
  /** 503 only. */
  unreachablePeers?: string[];
  /** 503 only: true when the write may still be applied. */
  mayHaveTakenEffect?: boolean;
}

/** One health indicator: its state and what it reports. */
export interface HealthIndicator {
  status: 'up' | 'down';
  [detail: string]: unknown;
}

/** The health endpoints' answer (Terminus's shape). */
export interface HealthResult {
  status: 'ok' | 'error' | 'shutting_down';
  info: Record<string, HealthIndicator>;
  error: Record<string, HealthIndicator>;
  details: Record<string, HealthIndicator>;
}
