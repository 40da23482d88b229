import { DataSource, Logger } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { migrations } from '../../src/database/migrations';
import { ListableRegisters1796500000000 } from '../../src/database/migrations/1796500000000-listable-registers';
import { encodeBallot } from '../../src/replication/core/ballot';
import { PgAcceptorStore } from '../../src/replication/persistence/pg-acceptor-store';
import { createTestDatabase, TestDatabase } from '../support/database';

/** Keeps the last statement TypeORM ran, so a test can ask PostgreSQL how it runs it. */
class LastQuery implements Logger {
  query = '';
  parameters: unknown[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.query = query;
    this.parameters = parameters ?? [];
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

const b = (counter: number): string => encodeBallot({ counter, boot: 0, nodeId: 'n' });
const SETTLED = 50_000;

/**
 * "A page must cost O(limit) work, not a scan of the table, also with
 * millions of tombstones in the range": checked by asking PostgreSQL how
 * many pages it touched for a listing and a settler batch over a range full
 * of settled tombstones.
 */
describe('Listing cost on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: PgAcceptorStore;
  const lastQuery = new LastQuery();

  beforeAll(async () => {
    database = await createTestDatabase('kv_listing');
    dataSource = await new DataSource({
      ...dataSourceOptions(database.url, 4),
      logging: ['query'],
      logger: lastQuery,
    }).initialize();
    store = new PgAcceptorStore(dataSource);
    await dataSource.query(
      `INSERT INTO kv_register (key, promised, accepted, present, value, version, unsettled)
       SELECT 'cfg/' || lpad(i::text, 6, '0'), $1, $1, false, NULL, 2, false FROM generate_series(1, $2) AS i`,
      [b(1), SETTLED],
    );
    await store.accept(
      ['cfg/zz-a', 'cfg/zz-b', 'cfg/zz-c'].map((key) => ({
        key,
        ballot: b(1),
        state: { present: true, value: key, version: 1, lineage: [] },
      })),
    );
    await store.accept([
      { key: 'cfg/zz-d', ballot: b(1), state: { present: false, value: null, version: 2, lineage: [] } },
    ]);
    await dataSource.query('ANALYZE kv_register');
  }, 60_000);
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** The blocks the last statement touched, by EXPLAIN ANALYZE of that same statement. */
  async function blocksOfLastQuery(): Promise<{ blocks: number; indexes: string[] }> {
    const [row] = await dataSource.query<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${lastQuery.query}`,
      lastQuery.parameters,
    );
    const plan = row!['QUERY PLAN'][0]!.Plan;
    const indexes: string[] = [];
    const visit = (node: PlanNode): void => {
      if (node['Index Name']) indexes.push(node['Index Name']);
      node.Plans?.forEach(visit);
    };
    visit(plan);
    return { blocks: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'], indexes };
  }

  it('lists a prefix past 50,000 settled tombstones touching a handful of pages', async () => {
    const page = await store.list({ from: 'cfg/', fromInclusive: true, prefix: 'cfg/' }, 100);
    expect(page.map((reply) => reply.key)).toEqual(['cfg/zz-a', 'cfg/zz-b', 'cfg/zz-c', 'cfg/zz-d']);
    const { blocks, indexes } = await blocksOfLastQuery();
    expect(indexes).toEqual(['kv_register_listable']);
    // The table holds several hundred pages of tombstones in this range; a page of four keys needs a few.
    expect(blocks).toBeLessThan(20);
  });

  it('lists a start/end range the same way', async () => {
    const page = await store.list({ from: 'cfg/000100', fromInclusive: true, end: 'cfg/zz-c' }, 100);
    expect(page.map((reply) => reply.key)).toEqual(['cfg/zz-a', 'cfg/zz-b']);
    const { blocks, indexes } = await blocksOfLastQuery();
    expect(indexes).toEqual(['kv_register_listable']);
    expect(blocks).toBeLessThan(20);
  });

  it('finds the unsettled tombstones without reading the settled ones', async () => {
    const rows = await store.unsettledTombstones(null, 500);
    expect(rows.map((reply) => reply.key)).toEqual(['cfg/zz-d']);
    const { blocks, indexes } = await blocksOfLastQuery();
    expect(indexes).toEqual(['kv_register_unsettled_tombstones']);
    expect(blocks).toBeLessThan(20);
  });
});

describe('The listable-registers migration', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('kv_migration');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('marks the tombstones already stored unsettled, so listings keep showing them until they are proven', async () => {
    const before = await new DataSource({
      ...dataSourceOptions(database.url, 2),
      // Every migration before the one that made registers listable.
      migrations: migrations.slice(0, migrations.indexOf(ListableRegisters1796500000000)),
    }).initialize();
    try {
      await before.query(
        `INSERT INTO kv_register (key, promised, accepted, present, value, version) VALUES
           ('old/live', $1, $1, true, '1', 1), ('old/deleted', $1, $1, false, NULL, 2), ('old/promised', $1, '', false, NULL, 0)`,
        [b(3)],
      );
    } finally {
      await before.destroy();
    }
    const after = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
    try {
      const store = new PgAcceptorStore(after);
      const listed = await store.list({ from: 'old/', fromInclusive: true, prefix: 'old/' }, 10);
      expect(listed.map((reply) => reply.key)).toEqual(['old/deleted', 'old/live']);
      expect((await store.unsettledTombstones(null, 10)).map((reply) => reply.key)).toEqual(['old/deleted']);
    } finally {
      await after.destroy();
    }
  });
});
