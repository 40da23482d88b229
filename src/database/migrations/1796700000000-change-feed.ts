import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each node's change feed (docs/protocol.md, "Watching"): the events it
 * learnt, in feed order (stamp, then key in byte order), the gaps where it
 * may have missed some, and one row of bookkeeping: the bound no watcher was
 * served past, and the newest position retention deleted. Nothing here is
 * replicated; a node that lost its disk starts a new feed with a gap.
 *
 * Stamps are microseconds: bigint. Values are `json` like the registers'.
 * Registers keep the stamp of their state (`kv_register.stamp`), so the next
 * version, on whichever node, is stamped above it; existing rows have none.
 */
export class ChangeFeed1796700000000 implements MigrationInterface {
  name = 'ChangeFeed1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE kv_register ADD COLUMN stamp bigint NULL');
    await queryRunner.query(`
      CREATE TABLE kv_feed_event (
        stamp   bigint NOT NULL,
        key     text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        present boolean NOT NULL,
        value   json,
        expires_at bigint,
        PRIMARY KEY (stamp, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE kv_feed_gap (
        at        bigint PRIMARY KEY,
        from_stamp bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE kv_feed_meta (
        id            smallint PRIMARY KEY CHECK (id = 1),
        bound         bigint,
        horizon_stamp bigint,
        horizon_key   text COLLATE "C"
      )`);
    await queryRunner.query('INSERT INTO kv_feed_meta (id) VALUES (1)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE kv_feed_meta');
    await queryRunner.query('DROP TABLE kv_feed_gap');
    await queryRunner.query('DROP TABLE kv_feed_event');
    await queryRunner.query('ALTER TABLE kv_register DROP COLUMN stamp');
  }
}
