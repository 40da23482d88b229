import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ZERO_BALLOT } from '../core/ballot';
import { arrayLiteral } from './pg-acceptor-store';
import { MARK_CAUGHT_UP_SQL } from './pg-node-meta';
import { CatchUpStaging } from '../recovery/catch-up-staging';
import { ScannedRegister } from '../recovery/register-scanner';

/**
 * The catch-up's copy in `kv_catch_up_staging` (migration CatchUpStaging),
 * switched into `kv_register` by one transaction.
 */
@Injectable()
export class PgCatchUpStaging extends CatchUpStaging {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async clear(): Promise<void> {
    await this.dataSource.query('TRUNCATE kv_catch_up_staging');
  }

  /**
   * The whole batch travels as one JSON document that PostgreSQL unpacks
   * (json_to_recordset): one JSON.stringify of the batch, where arrays of
   * parameters would quote and escape every value and lineage on their own.
   * Each lineage goes as an array literal (text, cast): PostgreSQL turns a
   * JSON array into a text[] several times slower than it parses the literal.
   */
  async add(registers: readonly ScannedRegister[]): Promise<void> {
    if (registers.length === 0) return;
    const rows = registers.map(({ key, promised, accepted, state }) => ({
      key,
      promised,
      accepted,
      present: state.present,
      // As JSON text inside the document: json_to_recordset would unescape a json field's \u0000, which
      // PostgreSQL cannot hold in text, and fail; the value column stores the text as the client sent it.
      value: state.present ? JSON.stringify(state.value) : null,
      version: state.version,
      // A promise alone has no lineage in its row, as the prepare that stored it leaves it.
      lineage: arrayLiteral(accepted === ZERO_BALLOT ? [] : state.lineage),
      // Only a present state can expire (the index and the expirer assume it), as in the acceptor's accept.
      expires_at: state.present ? (state.expiresAt ?? null) : null,
      stamp: state.stamp ?? null,
    }));
    await this.dataSource.query(
      `INSERT INTO kv_catch_up_staging (key, promised, accepted, present, value, version, lineage, expires_at, stamp)
       SELECT key, promised, accepted, present, CASE WHEN present THEN value::json END, version, lineage::text[],
              expires_at, stamp
         FROM json_to_recordset($1::json) AS r(key text, promised text, accepted text, present boolean, value text,
                                               version bigint, lineage text, expires_at bigint, stamp bigint)`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Merges by maximum, as the catch-up merges its sources, with the live row as
   * one more source: the promise only rises, the state is replaced only by one
   * accepted at a higher ballot (and then marked unsettled, as every accept
   * marks its row). On a database that never voted the live store is empty and
   * every row is simply inserted: as the accept (and, for a promise alone, the
   * prepare) that would have stored it leaves it. The caught-up mark is written
   * in the same transaction, so it exists exactly when the copy does.
   * No ORDER BY: the staging was appended to in key order, one statement at a
   * time, after it was emptied, so its heap already hands rows over in that order (only the
   * speed of the index inserts depends on it), and sorting a million rows
   * would spill to disk.
   */
  async switchIn(incarnation: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO kv_register AS t
           (key, promised, accepted, present, value, version, lineage, expires_at, stamp, unsettled)
         SELECT key, promised, accepted, present, value, version, lineage, expires_at, stamp, accepted <> $1
           FROM kv_catch_up_staging
         ON CONFLICT (key) DO UPDATE SET
           promised = GREATEST(t.promised, EXCLUDED.promised),
           accepted = GREATEST(t.accepted, EXCLUDED.accepted),
           present = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.present ELSE t.present END,
           value = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.value ELSE t.value END,
           version = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.version ELSE t.version END,
           lineage = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.lineage ELSE t.lineage END,
           expires_at = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.expires_at ELSE t.expires_at END,
           stamp = CASE WHEN EXCLUDED.accepted > t.accepted THEN EXCLUDED.stamp ELSE t.stamp END,
           unsettled = t.unsettled OR EXCLUDED.accepted > t.accepted`,
        [ZERO_BALLOT],
      );
      await manager.query(MARK_CAUGHT_UP_SQL, [incarnation]);
      await manager.query('TRUNCATE kv_catch_up_staging');
    });
  }
}
