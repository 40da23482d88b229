import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each register state keeps its lineage: the id of the change that produced
 * it and its ancestors' ids, newest first (see RegisterState.lineage), which
 * lets a proposer settle an ambiguous accept instead of answering
 * "outcome unknown".
 *
 * Rows written before this migration get an empty lineage, which means
 * "not known", so outcome resolution falls back to its older rules for them.
 * Adding a column with a constant default rewrites no rows (PostgreSQL 11+).
 */
export class RegisterLineage1796406256000 implements MigrationInterface {
  name = 'RegisterLineage1796406256000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE kv_register ADD COLUMN lineage text[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE kv_register DROP COLUMN lineage');
  }
}
