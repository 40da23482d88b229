import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per key: the acceptor's promise and accepted ballot, and the
 * register's state. Ballots and keys use COLLATE "C" so PostgreSQL orders
 * them byte-wise, exactly as TypeScript compares the encoded ballots.
 *
 * The value column is `json`, not `jsonb`: jsonb cannot hold "\u0000" inside a
 * string, which is valid JSON a client may send, and we never query into values.
 */
export class InitialSchema1764150000000 implements MigrationInterface {
  name = 'InitialSchema1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE kv_register (
        key      text COLLATE "C" PRIMARY KEY,
        promised text COLLATE "C" NOT NULL DEFAULT '',
        accepted text COLLATE "C" NOT NULL DEFAULT '',
        present  boolean NOT NULL DEFAULT false,
        value    json,
        version  bigint NOT NULL DEFAULT 0,
        CONSTRAINT kv_register_value_when_present CHECK (present = (value IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE node_meta (
        name  text PRIMARY KEY,
        value text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE node_meta');
    await queryRunner.query('DROP TABLE kv_register');
  }
}
