import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { describeAcceptorStoreRules } from '../../src/replication/core/testing/acceptor-store.conformance';
import { encodeBallot } from '../../src/replication/core/ballot';
import { PgAcceptorStore } from '../../src/replication/persistence/pg-acceptor-store';
import { createTestDatabase, TestDatabase } from '../support/database';

/** The PostgreSQL acceptor against a real server, with the real migrations. */
describe('PgAcceptorStore on PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let store: PgAcceptorStore;

  beforeAll(async () => {
    database = await createTestDatabase('kv_acceptor');
    dataSource = await new DataSource({ ...dataSourceOptions(database.url, 8), logging: false }).initialize();
    store = new PgAcceptorStore(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  describeAcceptorStoreRules('PgAcceptorStore', async () => store);

  const b = (counter: number, nodeId = 'n'): string => encodeBallot({ counter, boot: 0, nodeId });

  it('stores JSON that jsonb could not hold, and keys of every shape', async () => {
    const keys = ['nul-in-value', 'ключ 🔑', 'a/b%2F', 'k'.repeat(1024)];
    const value = { text: 'nul \u0000 inside', big: 1e300, nested: [[[]]] };
    await store.accept(
      keys.map((key) => ({ key, ballot: b(1), state: { present: true, value, version: 1, lineage: [b(1), ''] } })),
    );
    expect((await store.peek(keys)).map((r) => r.state.value)).toEqual(keys.map(() => value));
  });

  it('gives a row written before the lineage column existed an empty lineage ("not known")', async () => {
    // What the migration leaves in rows that were already there: the column's default.
    await dataSource.query(
      `INSERT INTO kv_register (key, promised, accepted, present, value, version) VALUES ('pre-lineage', $1, $1, true, '"old"', 3)`,
      [b(4)],
    );
    expect(await store.peek(['pre-lineage'])).toEqual([
      { key: 'pre-lineage', accepted: b(4), state: { present: true, value: 'old', version: 3, lineage: [] } },
    ]);
  });

  it('hands each register over to a catch-up scan with its promise and its lineage', async () => {
    await store.accept([
      {
        key: 'scan-me',
        ballot: b(5),
        state: { present: true, value: 1, version: 2, lineage: [b(5), b(2), ''] },
        next: b(6),
      },
    ]);
    const [row] = await store.scan('scan-ma', 1);
    expect(row).toEqual({
      key: 'scan-me',
      promised: b(6),
      accepted: b(5),
      state: { present: true, value: 1, version: 2, lineage: [b(5), b(2), ''] },
    });
  });

  it("serves a catch-up page as JSON text built by the database, the same registers as scan()'s, every kind of row", async () => {
    const keys = ['json/plain', 'json/expiring', 'json/gone', 'json/promised-only', 'json/ключ 🔑 "q"\\', 'json/nul'];
    await store.accept([
      {
        key: keys[0]!,
        ballot: b(3),
        state: { present: true, value: { a: [1, 'x'] }, version: 3, lineage: [b(3), ''], stamp: 1_796_000_000_000_001 },
        next: b(4),
      },
      {
        key: keys[1]!,
        ballot: b(5),
        state: { present: true, value: 'lease', version: 2, lineage: [b(5)], expiresAt: 1_800_000_000_000, stamp: 7 },
      },
      {
        key: keys[2]!,
        ballot: b(6),
        state: { present: false, value: null, version: 4, lineage: [b(6), b(2)], stamp: 9 },
      },
      { key: keys[4]!, ballot: b(2), state: { present: true, value: 'é', version: 1, lineage: [b(2), ''] } },
      {
        key: keys[5]!,
        ballot: b(2),
        state: { present: true, value: { text: 'nul \u0000 inside' }, version: 1, lineage: [] },
      },
    ]);
    await store.prepare([{ key: keys[3]!, ballot: b(8) }]);
    await dataSource.query(
      `INSERT INTO kv_register (key, promised, accepted, present, value, version) VALUES ('json/pre-lineage', $1, $1, true, '"old"', 3)`,
      [b(4)],
    );
    const fromJson = JSON.parse(await store.scanJson('json/', 100)) as unknown[];
    const fromRows = await store.scan('json/', 100);
    expect(fromRows.filter((row) => row.key.startsWith('json/'))).toHaveLength(keys.length + 1);
    expect(fromJson).toEqual(fromRows);
    // Pages and their ends, as scan() pages.
    expect(JSON.parse(await store.scanJson('json/', 2))).toEqual(await store.scan('json/', 2));
    expect(await store.scanJson('\u{10FFFF}', 10)).toBe('[]');
  });

  it('runs concurrent batches over the same keys in opposite orders without deadlock errors', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `deadlock-${i}`);
    const batches = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? keys : [...keys].reverse()));
    const results = await Promise.all(
      batches.map((batch, i) => store.prepare(batch.map((key) => ({ key, ballot: b(10 + i, `p${i}`) })))),
    );
    // Every key ends promised to the highest ballot, whatever order the statements ran in.
    expect(results.every((replies) => replies.length === keys.length)).toBe(true);
    const last = await store.prepare(keys.map((key) => ({ key, ballot: b(17, 'p7') })));
    expect(last.every((reply) => !reply.ok)).toBe(true);
  });

  it('handles a batch of 5000 keys in one statement', async () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `bulk-${i}`);
    const replies = await store.accept(
      keys.map((key, i) => ({
        key,
        ballot: b(1),
        state: { present: true, value: i, version: 1, lineage: [b(1), ''] },
      })),
    );
    expect(replies.every((reply) => reply.ok)).toBe(true);
    expect((await store.peek(keys.slice(4990))).map((r) => r.state.value)).toEqual([
      4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999,
    ]);
  });
});
