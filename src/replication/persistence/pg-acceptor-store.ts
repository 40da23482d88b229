import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { AcceptorStore, SettleRequest } from '../core/acceptor-store';
import { Ballot, ZERO_BALLOT } from '../core/ballot';
import { KeyRange } from '../core/key-range';
import { AcceptReply, AcceptRequest, PeekReply, PrepareReply, PrepareRequest } from '../core/messages';
import { ABSENT, RegisterState } from '../core/register';
import { RegisterScanner, ScannedRegister } from '../recovery/register-scanner';
import { withDeadlockRetry } from './deadlock-retry';

interface StateRow {
  key: string;
  accepted: Ballot;
  present: boolean;
  value: unknown;
  version: string;
  /** text[]: pg hands it over as string[]. */
  lineage: string[];
  /** bigint (ms since the epoch), as a string; null for a key without an expiry. */
  expires_at: string | null;
  /** bigint: pg hands it over as a string. */
  stamp: string | null;
}

/**
 * The acceptor on PostgreSQL. Each batch is one statement, so each key's
 * check-and-set is atomic and committed (autocommit) before the reply leaves.
 * Refused keys are looked up again (to report the ballot that beat them)
 * after an anti-join with the granted ones, so a batch where every key is
 * granted costs no second index lookup per key.
 * Rows are locked in key order so concurrent batches cannot deadlock on each
 * other (PostgreSQL would abort one of them).
 */
@Injectable()
export class PgAcceptorStore extends AcceptorStore implements RegisterScanner {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async prepare(requests: readonly PrepareRequest[]): Promise<PrepareReply[]> {
    if (requests.length === 0) return [];
    const rows = await withDeadlockRetry(() =>
      this.run<StateRow & { ok: boolean; seen: Ballot | null }>(
        'kv_prepare_v5',
        `WITH req AS (
           SELECT * FROM unnest($1::text[], $2::text[]) AS r(key, ballot)
         ), granted AS (
           INSERT INTO kv_register AS t (key, promised)
           SELECT key, ballot FROM req ORDER BY key
           ON CONFLICT (key) DO UPDATE SET promised = EXCLUDED.promised
             WHERE t.promised < EXCLUDED.promised AND t.accepted < EXCLUDED.promised
           RETURNING t.key, t.accepted, t.present, t.value, t.version, t.lineage, t.expires_at, t.stamp
         )
         SELECT key, true AS ok, accepted, present, value, version, lineage, expires_at, stamp, NULL AS seen FROM granted
         UNION ALL
         SELECT req.key, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, GREATEST(t.promised, t.accepted)
           FROM req LEFT JOIN granted ON granted.key = req.key
           JOIN kv_register t ON t.key = req.key
          WHERE granted.key IS NULL`,
        [requests.map((r) => r.key), requests.map((r) => r.ballot)],
      ),
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return requests.map(({ key }): PrepareReply => {
      const row = byKey.get(key);
      // No row at all: a concurrent insert of the same key won the race after
      // this statement's snapshot. A refusal is always safe; the proposer retries.
      if (!row) return { key, ok: false, seen: ZERO_BALLOT };
      if (!row.ok) return { key, ok: false, seen: row.seen ?? ZERO_BALLOT };
      return { key, ok: true, accepted: row.accepted, state: toState(row) };
    });
  }

  async accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    if (requests.length === 0) return [];
    const rows = await withDeadlockRetry(() =>
      this.run<{ key: string; ok: boolean; seen: Ballot | null }>(
        'kv_accept_v6',
        `WITH req AS (
           SELECT * FROM unnest(
               $1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::int8[], $7::text[], $8::int8[], $9::int8[])
             AS r(key, ballot, next, present, value, version, lineage, expires_at, stamp)
         ), stored AS (
           INSERT INTO kv_register AS t
             (key, promised, accepted, present, value, version, lineage, expires_at, stamp, unsettled)
           SELECT key, COALESCE(next, ballot), ballot, present, value::json, version, lineage::text[], expires_at, stamp, true
             FROM req ORDER BY key
           ON CONFLICT (key) DO UPDATE SET
               promised = EXCLUDED.promised, accepted = EXCLUDED.accepted,
               present = EXCLUDED.present, value = EXCLUDED.value, version = EXCLUDED.version,
               lineage = EXCLUDED.lineage, expires_at = EXCLUDED.expires_at, stamp = EXCLUDED.stamp, unsettled = true
             WHERE t.promised <= EXCLUDED.accepted AND t.accepted < EXCLUDED.accepted
           RETURNING t.key
         )
         SELECT key, true AS ok, NULL AS seen FROM stored
         UNION ALL
         SELECT req.key, t.accepted = req.ballot, GREATEST(t.promised, t.accepted)
           FROM req LEFT JOIN stored ON stored.key = req.key
           JOIN kv_register t ON t.key = req.key
          WHERE stored.key IS NULL`,
        [
          requests.map((r) => r.key),
          requests.map((r) => r.ballot),
          requests.map((r) => r.next ?? null),
          requests.map((r) => r.state.present),
          requests.map((r) => (r.state.present ? JSON.stringify(r.state.value) : null)),
          requests.map((r) => String(r.state.version)),
          requests.map((r) => arrayLiteral(r.state.lineage)),
          // Only a present state can expire (the index and the expirer assume it).
          requests.map((r) => (r.state.present && r.state.expiresAt !== undefined ? String(r.state.expiresAt) : null)),
          requests.map((r) => (r.state.stamp === undefined ? null : String(r.state.stamp))),
        ],
      ),
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return requests.map(({ key }): AcceptReply => {
      const row = byKey.get(key);
      if (!row) return { key, ok: false, seen: ZERO_BALLOT };
      // ok from the second branch is the duplicate case: this ballot is already stored.
      return row.ok ? { key, ok: true } : { key, ok: false, seen: row.seen ?? ZERO_BALLOT };
    });
  }

  /**
   * Runs one of this store's statements as a named prepared statement on the
   * driver's pool: PostgreSQL parses and plans it once per connection instead
   * of on every batch, which measured as the larger part of its cost here
   * (pgbench on the accept statement: 0.81 ms simple, 0.50 ms prepared).
   * TypeORM's query() has no way to name a statement, so this goes to the pg
   * pool TypeORM opened and manages. A name is bound to its text for the life
   * of a connection: change the text, change the name.
   */
  private async run<Row extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) throw new Error('the database connection is not open');
    return (await pool.query<Row>({ name, text, values })).rows;
  }

  /** Key order is byte order (COLLATE "C"), the same in every node's database. */
  async scan(afterKey: string | null, limit: number): Promise<ScannedRegister[]> {
    const rows: Array<StateRow & { promised: Ballot }> = await this.dataSource.query(
      `SELECT key, promised, accepted, present, value, version, lineage, expires_at, stamp FROM kv_register
        WHERE $1::text IS NULL OR key > $1::text COLLATE "C"
        ORDER BY key LIMIT $2`,
      [afterKey, limit],
    );
    return rows.map((row) => ({ key: row.key, promised: row.promised, accepted: row.accepted, state: toState(row) }));
  }

  /**
   * scan()'s page as the JSON text of its array, built by PostgreSQL: the
   * peer that serves a catch-up then neither parses rows into objects nor
   * serializes them again, which was most of its cost per register. Each
   * item is what scan() returns, field for field (toState's rules: a promise
   * alone is ABSENT; a value and an expiry only on a present state; a stamp
   * only where there is one). A stored value is already JSON text.
   */
  async scanJson(afterKey: string | null, limit: number): Promise<string> {
    const rows: Array<{ page: string | null }> = await this.dataSource.query(
      `SELECT string_agg(item, ',' ORDER BY key) AS page FROM (
         SELECT key, '{"key":' || to_json(key)::text || ',"promised":' || to_json(promised)::text
             || ',"accepted":' || to_json(accepted)::text || ',"state":'
             || CASE WHEN accepted = '' THEN '{"present":false,"value":null,"version":0,"lineage":[""]}'
                ELSE '{"present":' || present::text
                  || ',"value":' || CASE WHEN present THEN value::text ELSE 'null' END
                  || ',"version":' || version::text || ',"lineage":' || array_to_json(lineage)::text
                  || CASE WHEN present AND expires_at IS NOT NULL THEN ',"expiresAt":' || expires_at::text ELSE '' END
                  || CASE WHEN stamp IS NOT NULL THEN ',"stamp":' || stamp::text ELSE '' END
                  || '}' END
             || '}' AS item
           FROM kv_register
          WHERE $1::text IS NULL OR key > $1::text COLLATE "C"
          ORDER BY key LIMIT $2) AS page`,
      [afterKey, limit],
    );
    return `[${rows[0]?.page ?? ''}]`;
  }

  /**
   * Unnamed statements (dataSource.query), unlike the acceptor's hot ones:
   * PostgreSQL then plans each with its actual bounds, which is what lets a
   * prefix become an index range. Both use partial indexes that hold only
   * listable rows (migration ListableRegisters), so settled tombstones cost
   * nothing however many there are.
   */
  async list(range: KeyRange, limit: number): Promise<PeekReply[]> {
    const { sql, params } = rangeCondition(range, 2);
    const rows: StateRow[] = await this.dataSource.query(
      `SELECT key, accepted, present, value, version, lineage, expires_at, stamp FROM kv_register
        WHERE (present OR unsettled) AND ${sql}
        ORDER BY key LIMIT $1`,
      [limit, ...params],
    );
    return rows.map(toPeekReply);
  }

  async unsettledTombstones(after: string | null, limit: number): Promise<PeekReply[]> {
    const rows: StateRow[] = await this.dataSource.query(
      `SELECT key, accepted, present, value, version, lineage, expires_at, stamp FROM kv_register
        WHERE unsettled AND NOT present ${after === null ? '' : 'AND key > $2::text COLLATE "C"'}
        ORDER BY key LIMIT $1`,
      after === null ? [limit] : [limit, after],
    );
    return rows.map(toPeekReply);
  }

  /** Rows are locked in key order, like the acceptor's statements, so settling never deadlocks with them. */
  async settle(requests: readonly SettleRequest[]): Promise<void> {
    if (requests.length === 0) return;
    await withDeadlockRetry(() =>
      this.dataSource.query(
        `WITH req AS (
           SELECT * FROM unnest($1::text[], $2::text[]) AS r(key, ballot)
         ), target AS (
           SELECT t.key FROM kv_register t JOIN req ON req.key = t.key
            WHERE t.unsettled AND NOT t.present AND t.accepted <= req.ballot COLLATE "C"
            ORDER BY t.key FOR UPDATE OF t
         )
         UPDATE kv_register t SET unsettled = false FROM target
          WHERE t.key = target.key AND t.unsettled AND NOT t.present`,
        [requests.map((r) => r.key), requests.map((r) => r.ballot)],
      ),
    );
  }

  /**
   * Soonest expiry first, from the partial index kv_register_expiry (present
   * rows with an expiry only), so this reads `limit` index entries at most.
   * Ordered by the indexed column alone: a tie-break on the key would sort
   * every expired row, and keys sharing a millisecond may come in any order.
   */
  async expiredBy(time: number, limit: number): Promise<PeekReply[]> {
    const rows = await this.run<StateRow>('kv_expired_by_v2', EXPIRED_BY_SQL, [String(time), limit]);
    return rows.map(toPeekReply);
  }

  async peek(keys: readonly string[]): Promise<PeekReply[]> {
    if (keys.length === 0) return [];
    const rows = await this.run<StateRow>(
      'kv_peek_v4',
      'SELECT key, accepted, present, value, version, lineage, expires_at, stamp FROM kv_register WHERE key = ANY($1::text[])',
      [keys],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return keys.map((key) => {
      const row = byKey.get(key);
      return row ? { key, accepted: row.accepted, state: toState(row) } : { key, accepted: ZERO_BALLOT, state: ABSENT };
    });
  }
}

/** expiredBy's statement; exported so the cost test can ask PostgreSQL how it runs this very text. */
export const EXPIRED_BY_SQL = `SELECT key, accepted, present, value, version, lineage, expires_at, stamp FROM kv_register
  WHERE present AND expires_at IS NOT NULL AND expires_at <= $1::int8
  ORDER BY expires_at LIMIT $2`;

/**
 * The WHERE clause and parameters for a key range. Each bound is written only
 * when there is one, so the planner sees plain index conditions; `^@` (starts
 * with) is what lets a prefix bound the index scan from above.
 */
function rangeCondition(range: KeyRange, firstParam: number): { sql: string; params: string[] } {
  const conditions = [`key ${range.fromInclusive ? '>=' : '>'} $${firstParam}::text COLLATE "C"`];
  const params = [range.from];
  if (range.end !== undefined) {
    params.push(range.end);
    conditions.push(`key < $${firstParam + params.length - 1}::text COLLATE "C"`);
  }
  if (range.prefix !== undefined) {
    params.push(range.prefix);
    conditions.push(`key ^@ $${firstParam + params.length - 1}::text`);
  }
  return { sql: conditions.join(' AND '), params };
}

/**
 * A row that never accepted anything (only promised) holds the key's origin,
 * ABSENT. Rows written before lineages were stored have an empty one: "not
 * known" to outcome resolution.
 */
function toPeekReply(row: StateRow): PeekReply {
  return { key: row.key, accepted: row.accepted, state: toState(row) };
}

function toState(
  row: Pick<StateRow, 'accepted' | 'present' | 'value' | 'version' | 'lineage' | 'expires_at' | 'stamp'>,
): RegisterState {
  if (row.accepted === ZERO_BALLOT) return ABSENT;
  return {
    present: row.present,
    value: row.present ? row.value : null,
    version: parseVersion(row.version),
    ...(row.present && row.expires_at !== null && { expiresAt: Number(row.expires_at) }),
    lineage: row.lineage,
    // Rows written before stamps, or by a proposer without a feed, have none.
    ...(row.stamp !== null && row.stamp !== undefined && { stamp: Number(row.stamp) }),
  };
}

/**
 * A PostgreSQL array literal, so that each request's lineage can travel as one
 * element of a text[] parameter (unnest cannot take ragged arrays of arrays).
 * Every id is quoted, so an empty one (the origin's) is "" and not NULL.
 */
export function arrayLiteral(ids: readonly string[]): string {
  return `{${ids.map((id) => `"${id.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * pg returns bigint as a string. Versions grow by one per write of a key, so
 * they stay far below 2^53; refuse loudly rather than round if one ever does not.
 */
export function parseVersion(raw: string | number): number {
  const version = Number(raw);
  if (!Number.isSafeInteger(version)) throw new RangeError(`version ${raw} is beyond 2^53`);
  return version;
}
