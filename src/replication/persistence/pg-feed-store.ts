import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { FeedEvent, FeedPosition, compareFeedPositions } from '../core/feed-position';
import { FeedEntry, FeedFlush, FeedStore } from '../core/feed-store';

interface EntryRow {
  kind: number;
  stamp: string;
  key: string | null;
  version: string | null;
  present: boolean | null;
  value: unknown;
  expires_at: string | null;
  from_stamp: string | null;
}

/**
 * The node's change feed on PostgreSQL (migration ChangeFeed). A flush is one
 * statement (events, gaps and the bound together, so atomic); reads walk the
 * primary key (stamp, key), which is feed order.
 */
@Injectable()
export class PgFeedStore implements FeedStore {
  constructor(private readonly dataSource: DataSource) {}

  async loadBound(): Promise<number | undefined> {
    const [row] = await this.dataSource.query<Array<{ bound: string | null }>>(
      'SELECT bound FROM kv_feed_meta WHERE id = 1',
    );
    return row?.bound == null ? undefined : Number(row.bound);
  }

  async append(flush: FeedFlush): Promise<void> {
    const { events, gaps } = flush;
    await this.pool().query({
      name: 'kv_feed_append_v2',
      text: `WITH events AS (
               INSERT INTO kv_feed_event (stamp, key, version, present, value, expires_at)
               SELECT stamp, key, version, present, value::json, expires_at
                 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::boolean[], $5::text[], $9::bigint[])
                   AS r(stamp, key, version, present, value, expires_at)
               ON CONFLICT DO NOTHING
             ), gaps AS (
               INSERT INTO kv_feed_gap (at, from_stamp)
               SELECT at, from_stamp FROM unnest($6::bigint[], $7::bigint[]) AS g(at, from_stamp)
               ON CONFLICT (at) DO UPDATE SET from_stamp = LEAST(kv_feed_gap.from_stamp, EXCLUDED.from_stamp)
             )
             UPDATE kv_feed_meta SET bound = $8::bigint WHERE id = 1 AND $8::bigint IS NOT NULL`,
      values: [
        events.map((e) => String(e.stamp)),
        events.map((e) => e.key),
        events.map((e) => String(e.version)),
        events.map((e) => e.present),
        events.map((e) => (e.present ? JSON.stringify(e.value) : null)),
        gaps.map((g) => String(g.at)),
        gaps.map((g) => String(g.from)),
        flush.bound === undefined ? null : String(flush.bound),
        events.map((e) => (e.expiresAt === undefined ? null : String(e.expiresAt))),
      ],
    });
  }

  async holds(positions: readonly FeedPosition[]): Promise<boolean[]> {
    const events = positions.filter((p): p is Required<FeedPosition> => p.key !== undefined);
    if (events.length === 0) return positions.map(() => false);
    const rows = await this.dataSource.query<Array<{ stamp: string; key: string }>>(
      `SELECT e.stamp, e.key FROM kv_feed_event e
         JOIN unnest($1::bigint[], $2::text[]) AS p(stamp, key) ON e.stamp = p.stamp AND e.key = p.key`,
      [events.map((p) => String(p.stamp)), events.map((p) => p.key)],
    );
    const held = new Set(rows.map((row) => `${row.stamp}\u0000${row.key}`));
    return positions.map((p) => p.key !== undefined && held.has(`${p.stamp}\u0000${p.key}`));
  }

  /**
   * Unnamed statements: PostgreSQL plans each with its actual bounds, so the
   * primary key serves the position condition. Gaps are few; every one in
   * range is read, whatever the prefix.
   */
  async read(after: FeedPosition, upTo: number, prefix: string, limit: number): Promise<FeedEntry[]> {
    const afterEvents =
      after.key === undefined ? 'stamp > $1::bigint' : '(stamp, key) > ($1::bigint, $5::text COLLATE "C")';
    const afterGaps = after.key === undefined ? 'at > $1::bigint' : 'at >= $1::bigint';
    const rows = await this.dataSource.query<EntryRow[]>(
      `(SELECT 0 AS kind, stamp, key, version, present, value, expires_at, NULL::bigint AS from_stamp FROM kv_feed_event
         WHERE ${afterEvents} AND stamp <= $2::bigint AND key ^@ $3::text
         ORDER BY stamp, key LIMIT $4)
       UNION ALL
       (SELECT 1, at, NULL, NULL, NULL, NULL, NULL, from_stamp FROM kv_feed_gap
         WHERE ${afterGaps} AND at <= $2::bigint
         ORDER BY at LIMIT $4)
       ORDER BY stamp, kind, key LIMIT $4`,
      [String(after.stamp), String(upTo), prefix, limit, ...(after.key === undefined ? [] : [after.key])],
    );
    return rows.map(toEntry);
  }

  async trim(olderThan: number, keep: number): Promise<FeedPosition | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const deleted = await manager.query<Array<{ stamp: string; key: string | null }>>(
        `WITH cut AS (
           SELECT stamp, key FROM kv_feed_event ORDER BY stamp DESC, key DESC OFFSET $2 LIMIT 1
         ), events AS (
           DELETE FROM kv_feed_event e
            WHERE e.stamp < $1::bigint OR (e.stamp, e.key) <= (SELECT stamp, key FROM cut)
           RETURNING e.stamp, e.key
         ), gaps AS (
           DELETE FROM kv_feed_gap WHERE at < $1::bigint RETURNING at
         )
         SELECT stamp, key FROM (SELECT stamp, key FROM events UNION ALL SELECT at, NULL FROM gaps) AS deleted
         ORDER BY stamp DESC, (key IS NULL) DESC, key DESC LIMIT 1`,
        [String(olderThan), keep],
      );
      const horizon = await this.readHorizon(manager.query.bind(manager));
      const newest = deleted[0] && toPosition(deleted[0].stamp, deleted[0].key);
      if (newest === undefined || (horizon !== undefined && compareFeedPositions(newest, horizon) <= 0)) return horizon;
      await manager.query('UPDATE kv_feed_meta SET horizon_stamp = $1::bigint, horizon_key = $2 WHERE id = 1', [
        String(newest.stamp),
        newest.key ?? null,
      ]);
      return newest;
    });
  }

  horizon(): Promise<FeedPosition | undefined> {
    return this.readHorizon((sql, params) => this.dataSource.query(sql, params));
  }

  private async readHorizon(
    query: (sql: string, params?: unknown[]) => Promise<unknown>,
  ): Promise<FeedPosition | undefined> {
    const [row] = (await query('SELECT horizon_stamp, horizon_key FROM kv_feed_meta WHERE id = 1')) as Array<{
      horizon_stamp: string | null;
      horizon_key: string | null;
    }>;
    return row?.horizon_stamp == null ? undefined : toPosition(row.horizon_stamp, row.horizon_key);
  }

  private pool(): Pool {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (!pool) throw new Error('the database connection is not open');
    return pool;
  }
}

function toPosition(stamp: string, key: string | null): FeedPosition {
  return key === null ? { stamp: Number(stamp) } : { stamp: Number(stamp), key };
}

function toEntry(row: EntryRow): FeedEntry {
  if (row.kind === 1) return { kind: 'gap', gap: { at: Number(row.stamp), from: Number(row.from_stamp) } };
  const event: FeedEvent = {
    stamp: Number(row.stamp),
    key: row.key!,
    version: Number(row.version),
    present: row.present!,
    value: row.present ? row.value : null,
    ...(row.expires_at !== null && { expiresAt: Number(row.expires_at) }),
  };
  return { kind: 'event', event };
}
