import { encodeBallot } from '../core/ballot';
import { MergedScan, mergeRegisters, ScanSource } from './merged-scan';
import { ScanPage } from './peer-scan-client';
import { ScannedRegister } from './register-scanner';

const b = (counter: number, node = 'p') => encodeBallot({ counter, boot: 1, nodeId: node });
const row = (key: string, accepted: number, promised = accepted + 1): ScannedRegister => ({
  key,
  promised: b(promised),
  accepted: b(accepted),
  state: { present: true, value: `${key}@${accepted}`, version: accepted, lineage: [b(accepted), ''] },
});

/** A source serving fixed rows in key order, a page at a time, counting its requests. */
function source(
  id: string,
  rows: ScannedRegister[],
  options: { voting?: boolean; failAfterPages?: number; votingFromPage?: (page: number) => boolean } = {},
): ScanSource & { pages: number } {
  const served = {
    id,
    pages: 0,
    scan: async (after: string | null, limit: number): Promise<ScanPage> => {
      served.pages += 1;
      if (options.failAfterPages !== undefined && served.pages > options.failAfterPages) throw new Error('ECONNRESET');
      const start = after === null ? 0 : rows.findIndex((r) => r.key === after) + 1;
      const voting = options.votingFromPage?.(served.pages) ?? options.voting ?? true;
      return { rows: rows.slice(start, start + limit), voting };
    },
  };
  return served;
}

async function drain(scan: MergedScan, batch = 3): Promise<ScannedRegister[]> {
  const all: ScannedRegister[] = [];
  for (;;) {
    const next = await scan.next(batch);
    if (next.length === 0) return all;
    expect(next.length).toBeLessThanOrEqual(batch);
    all.push(...next);
  }
}

describe('mergeRegisters', () => {
  it('keeps the higher promise and, separately, the state of the higher accepted ballot', () => {
    expect(mergeRegisters(row('k', 3, 9), row('k', 5, 6))).toEqual({ ...row('k', 5), promised: b(9) });
    expect(mergeRegisters(row('k', 5, 6), row('k', 3, 9))).toEqual({ ...row('k', 5), promised: b(9) });
  });
});

describe('MergedScan', () => {
  it('merges key-ordered sources page by page into every key once, in key order, by maximum', async () => {
    const n2 = source('n2', [row('a', 1), row('b', 4, 9), row('d', 2), row('e', 1), row('f', 1)]);
    const n3 = source('n3', [row('b', 6, 7), row('c', 1), row('d', 2), row('g', 1)]);
    const scan = new MergedScan([n2, n3], 2);
    const merged = await drain(scan);
    expect(merged).toEqual([
      row('a', 1),
      { ...row('b', 6), promised: b(9) },
      row('c', 1),
      row('d', 2),
      row('e', 1),
      row('f', 1),
      row('g', 1),
    ]);
    expect(scan.completeSources()).toEqual(['n2', 'n3']);
    // Each source is read in pages of the size asked, to the empty page that ends it.
    expect([n2.pages, n3.pages]).toEqual([4, 3]);
  });

  it('orders keys as the database does (UTF-8 bytes), not as JavaScript compares UTF-16', async () => {
    // U+FFFD sorts after U+1F511 in UTF-16 code units, before it in UTF-8 bytes.
    const keys = ['a', '\uFFFD', '\u{1F511}'];
    const scan = new MergedScan(
      [source('n2', [row(keys[0]!, 1), row(keys[2]!, 1)]), source('n3', [row(keys[1]!, 1)])],
      10,
    );
    expect((await drain(scan)).map((r) => r.key)).toEqual(keys);
    expect(scan.completeSources()).toEqual(['n2', 'n3']);
  });

  it('drops a source that fails half-way: its rows so far stay merged, but it does not count as complete', async () => {
    const n2 = source('n2', [row('a', 1), row('b', 1), row('c', 1)], { failAfterPages: 1 });
    const n3 = source('n3', [row('a', 2), row('c', 2)]);
    const scan = new MergedScan([n2, n3], 1);
    expect((await drain(scan)).map((r) => `${r.key}@${r.state.version}`)).toEqual(['a@2', 'c@2']);
    expect(scan.completeSources()).toEqual(['n3']);
    expect(scan.usableSources()).toBe(1);
    expect(scan.failures()).toEqual([{ source: 'n2', error: new Error('ECONNRESET') }]);
  });

  it('uses a peer that is catching up itself only while it holds nothing', async () => {
    const empty = new MergedScan([source('n2', [row('a', 1)]), source('n3', [], { voting: false })], 10);
    await drain(empty);
    expect(empty.completeSources()).toEqual(['n2', 'n3']);

    const partial = new MergedScan([source('n2', [row('a', 1)]), source('n3', [row('x', 1)], { voting: false })], 10);
    expect((await drain(partial)).map((r) => r.key)).toEqual(['a']);
    expect(partial.completeSources()).toEqual(['n2']);
    expect(partial.failures()[0]!.error.message).toMatch(/partial copy/);
  });

  it('refuses a source whose acceptor stops voting between its pages (it restarted on a new database)', async () => {
    // Its last page is empty, as a new database's would be: without the check it would pass for complete.
    const restarted = source('n3', [row('a', 1)], { votingFromPage: (page) => page === 1 });
    const scan = new MergedScan([restarted], 1);
    expect((await drain(scan)).map((r) => r.key)).toEqual(['a']);
    expect(scan.completeSources()).toEqual([]);
    expect(scan.failures()[0]!.error.message).toMatch(/voting mid-scan/);
  });

  it('refuses a source whose keys do not rise, since the merge would pass keys it has not seen', async () => {
    const scan = new MergedScan([source('n2', [row('b', 1), row('a', 1)])], 10);
    await drain(scan);
    expect(scan.completeSources()).toEqual([]);
    expect(scan.failures()[0]!.error.message).toMatch(/out of order/);
  });

  it('fetches the next page of every source while the current ones are merged', async () => {
    const n2 = source('n2', [row('a', 1), row('b', 1), row('c', 1)]);
    const n3 = source('n3', [row('a', 1), row('b', 1), row('c', 1)]);
    const scan = new MergedScan([n2, n3], 1);
    await scan.next(1);
    // One page merged from each, the next one already asked for: no round trip waits for the merge.
    expect([n2.pages, n3.pages]).toEqual([2, 2]);
  });
});
