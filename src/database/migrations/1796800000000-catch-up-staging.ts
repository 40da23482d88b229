import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a node on a new database gathers its copy of the peers' registers
 * before it switches it in (docs/protocol.md, "Catch-up after disk loss"): the
 * copy no longer has to fit in the node's memory, and kv_register stays empty,
 * so the node stays a usable source for peers that catch up too, until one
 * transaction moves the whole copy in and marks the database caught up.
 *
 * The columns are kv_register's acceptor state (keys and ballots in byte
 * order, as there). UNLOGGED: no write-ahead log for rows that are written
 * once and read once; a crash of the server empties the table, which is what
 * a node does with a half-filled one anyway (every attempt starts by emptying
 * it). No index: rows are appended in key order, each key once (the merge
 * sees to both), and read back once, in full, by the switch; an index would
 * only slow the appends (kv_register's primary key still refuses a key
 * switched in twice).
 */
export class CatchUpStaging1796800000000 implements MigrationInterface {
  name = 'CatchUpStaging1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE UNLOGGED TABLE kv_catch_up_staging (
        key        text COLLATE "C" NOT NULL,
        promised   text COLLATE "C" NOT NULL,
        accepted   text COLLATE "C" NOT NULL,
        present    boolean NOT NULL,
        value      json,
        version    bigint NOT NULL,
        lineage    text[] NOT NULL,
        expires_at bigint,
        stamp      bigint
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE kv_catch_up_staging');
  }
}
