import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { describeFeedStoreRules } from '../../src/replication/core/testing/feed-store.conformance';
import { PgFeedStore } from '../../src/replication/persistence/pg-feed-store';
import { createTestDatabase, TestDatabase } from '../support/database';

/** The PostgreSQL change feed against a real server, with the real migrations, held to the in-memory store's rules. */
describe('PgFeedStore on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('kv_feed');
    dataSource = await new DataSource({ ...dataSourceOptions(database.url, 4), logging: false }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  describeFeedStoreRules('PgFeedStore', async () => {
    // Each rule starts from an empty feed.
    await dataSource.query('TRUNCATE kv_feed_event, kv_feed_gap');
    await dataSource.query('UPDATE kv_feed_meta SET bound = NULL, horizon_stamp = NULL, horizon_key = NULL');
    return new PgFeedStore(dataSource);
  });
});
