import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expiring keys: a register's accepted state may carry an expiry time
 * (`expires_at`, ms since the epoch, NULL for a key that never expires).
 *
 * The expirer asks each node's own acceptor for the present registers whose
 * time has come, soonest first; a partial index that holds only present rows
 * with an expiry answers that from its first entries, however many keys the
 * table holds without one. Adding a nullable column without a default
 * rewrites no rows, and every existing key stays permanent.
 */
export class RegisterExpiry1796600000000 implements MigrationInterface {
  name = 'RegisterExpiry1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE kv_register ADD COLUMN expires_at bigint NULL');
    await queryRunner.query(
      'CREATE INDEX kv_register_expiry ON kv_register (expires_at) WHERE present AND expires_at IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX kv_register_expiry');
    await queryRunner.query('ALTER TABLE kv_register DROP COLUMN expires_at');
  }
}
