import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Listings read only "listable" registers: present ones, and tombstones not
 * yet proven chosen (`unsettled`; see AcceptorStore). Every accept marks its
 * row unsettled; the tombstone settler clears the mark once a majority agrees.
 *
 * Two partial indexes hold exactly the rows each query wants, so a page of a
 * listing and a batch of the settler cost O(page) however many settled
 * tombstones the table holds. They index `key` only: the rows are fetched
 * from the table, which a page of at most 1,000 keys can afford.
 *
 * Existing tombstones start unsettled (present rows are listed regardless):
 * the settler proves them in the background. Adding the column with a
 * constant default rewrites no rows; the UPDATE touches tombstones only.
 */
export class ListableRegisters1796500000000 implements MigrationInterface {
  name = 'ListableRegisters1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE kv_register ADD COLUMN unsettled boolean NOT NULL DEFAULT false');
    await queryRunner.query(`UPDATE kv_register SET unsettled = true WHERE NOT present AND accepted <> ''`);
    await queryRunner.query('CREATE INDEX kv_register_listable ON kv_register (key) WHERE present OR unsettled');
    await queryRunner.query(
      'CREATE INDEX kv_register_unsettled_tombstones ON kv_register (key) WHERE unsettled AND NOT present',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX kv_register_unsettled_tombstones');
    await queryRunner.query('DROP INDEX kv_register_listable');
    await queryRunner.query('ALTER TABLE kv_register DROP COLUMN unsettled');
  }
}
