import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { encodeBallot } from '../../src/replication/core/ballot';
import { RegisterState } from '../../src/replication/core/register';
import { PgAcceptorStore } from '../../src/replication/persistence/pg-acceptor-store';
import { PgCatchUpStaging } from '../../src/replication/persistence/pg-catch-up-staging';
import { PgNodeMeta } from '../../src/replication/persistence/pg-node-meta';
import { ScannedRegister } from '../../src/replication/recovery/register-scanner';
import { createTestDatabase } from '../support/database';

const b = (counter: number, nodeId = 'n'): string => encodeBallot({ counter, boot: 0, nodeId });
const state = (value: unknown, version: number, extra: Partial<RegisterState> = {}): RegisterState => ({
  present: true,
  value,
  version,
  lineage: [b(version), ''],
  ...extra,
});

/** A node's database, with the real migrations, and the stores on it. */
async function openNodeDatabase(prefix: string) {
  const database = await createTestDatabase(prefix);
  const dataSource = await new DataSource({ ...dataSourceOptions(database.url, 4), logging: false }).initialize();
  return {
    database,
    dataSource,
    acceptor: new PgAcceptorStore(dataSource),
    staging: new PgCatchUpStaging(dataSource),
    meta: new PgNodeMeta(dataSource),
    /** Every column of every register, as the acceptor's rules and listings read them. */
    rows: () => dataSource.query('SELECT * FROM kv_register ORDER BY key'),
    stagedCount: async () =>
      Number((await dataSource.query('SELECT count(*) AS n FROM kv_catch_up_staging'))[0].n as string),
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
type NodeDatabase = Awaited<ReturnType<typeof openNodeDatabase>>;

/** The catch-up's staging on PostgreSQL: the copy is switched in whole or not at all, as writes would have left it. */
describe('PgCatchUpStaging on PostgreSQL', () => {
  let source: NodeDatabase;
  let copy: NodeDatabase;

  beforeEach(async () => {
    source = await openNodeDatabase('kv_staging_source');
    copy = await openNodeDatabase('kv_staging_copy');
  });
  afterEach(async () => {
    await source?.close();
    await copy?.close();
  });

  /** Writes on the source through the acceptor's own statements: every kind of row a register can be. */
  async function writeOnSource(): Promise<void> {
    await source.acceptor.accept([
      {
        key: 'plain',
        ballot: b(3),
        state: state({ text: 'nul \u0000 inside' }, 3, { stamp: 1_796_000_000_000_001 }),
        next: b(4),
      },
      { key: 'expiring', ballot: b(5), state: state('lease', 2, { expiresAt: 1_800_000_000_000, stamp: 7 }) },
      {
        key: 'gone',
        ballot: b(6),
        state: { present: false, value: null, version: 4, lineage: [b(6), b(2)], stamp: 9 },
      },
      { key: 'ключ 🔑', ballot: b(2), state: state([1, 2], 1) },
    ]);
    // A promise without an accepted state (a prepare whose round never got further).
    await source.acceptor.prepare([{ key: 'promised-only', ballot: b(8) }]);
  }

  async function scanAll(database: NodeDatabase): Promise<ScannedRegister[]> {
    return database.acceptor.scan(null, 10_000);
  }

  it("switches a copy into an empty store as the acceptor's own writes left it, and marks the database caught up", async () => {
    await writeOnSource();
    const incarnation = await copy.meta.incarnation();
    await copy.staging.clear();
    const registers = await scanAll(source);
    await copy.staging.add(registers.slice(0, 2));
    await copy.staging.add(registers.slice(2));
    expect(await copy.rows()).toEqual([]);
    expect(await copy.meta.hasCaughtUp(incarnation)).toBe(false);

    await copy.staging.switchIn(incarnation);
    // Every column alike: promise, ballot, state, lineage, expiry, stamp, and the listing's unsettled mark.
    expect(await copy.rows()).toEqual(await source.rows());
    expect(await copy.meta.hasCaughtUp(incarnation)).toBe(true);
    expect(await copy.stagedCount()).toBe(0);
    // And the expirer finds the expiring key through its index, as on the source.
    expect((await copy.acceptor.expiredBy(1_800_000_000_000, 10)).map((r) => r.key)).toEqual(['expiring']);
  });

  it('raises a live register and never lowers it: the higher promise, the state of the higher accepted ballot', async () => {
    await copy.acceptor.accept([
      { key: 'live-newer', ballot: b(9), state: state('live', 9), next: b(10) },
      { key: 'live-older', ballot: b(2), state: state('live', 2), next: b(20) },
    ]);
    await copy.staging.clear();
    await copy.staging.add([
      { key: 'live-newer', promised: b(12), accepted: b(4), state: state('staged', 4) },
      { key: 'live-older', promised: b(6), accepted: b(5), state: state('staged', 5) },
    ]);
    await copy.staging.switchIn(await copy.meta.incarnation());
    const rows = (await copy.acceptor.scan(null, 10)).map(({ key, promised, accepted, state: s }) => ({
      key,
      promised,
      accepted,
      value: s.value,
    }));
    expect(rows).toEqual([
      { key: 'live-newer', promised: b(12), accepted: b(9), value: 'live' },
      { key: 'live-older', promised: b(20), accepted: b(5), value: 'staged' },
    ]);
  });

  it('leaves the live store, the caught-up mark and the staging as they were when the switch fails half-way', async () => {
    await writeOnSource();
    const incarnation = await copy.meta.incarnation();
    await copy.staging.clear();
    await copy.staging.add(await scanAll(source));
    // The switch dies on its third row, after it inserted two: a crash mid-switch, as the transaction sees it.
    await copy.dataSource.query(`
      CREATE FUNCTION fail_on_plain() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF NEW.key = 'plain' THEN RAISE EXCEPTION 'crash mid-switch'; END IF; RETURN NEW; END $$`);
    await copy.dataSource.query(
      'CREATE TRIGGER crash_mid_switch BEFORE INSERT ON kv_register FOR EACH ROW EXECUTE FUNCTION fail_on_plain()',
    );
    await expect(copy.staging.switchIn(incarnation)).rejects.toThrow(/crash mid-switch/);
    expect(await copy.rows()).toEqual([]);
    expect(await copy.meta.hasCaughtUp(incarnation)).toBe(false);
    expect(await copy.stagedCount()).toBe(5);

    // The next attempt starts by emptying the staging, whatever it holds.
    await copy.dataSource.query('DROP TRIGGER crash_mid_switch ON kv_register');
    await copy.staging.clear();
    expect(await copy.stagedCount()).toBe(0);
    await copy.staging.add(await scanAll(source));
    await copy.staging.switchIn(incarnation);
    expect(await copy.rows()).toEqual(await source.rows());
  });

  it('refuses a copy that names a key twice rather than switch in either', async () => {
    await copy.staging.clear();
    const register = { key: 'twice', promised: b(2), accepted: b(1), state: state('x', 1) };
    await copy.staging.add([register]);
    await copy.staging.add([register]);
    await expect(copy.staging.switchIn(await copy.meta.incarnation())).rejects.toThrow();
    expect(await copy.rows()).toEqual([]);
  });
});
