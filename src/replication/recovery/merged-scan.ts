import { maxBallot } from '../core/ballot';
import { compareKeys } from '../core/key-range';
import type { ScanPage } from './peer-scan-client';
import { ScannedRegister } from './register-scanner';

/** One peer's registers, a page at a time, in key order (byte order). */
export interface ScanSource {
  readonly id: string;
  scan(afterKey: string | null, limit: number): Promise<ScanPage>;
}

/**
 * Two copies of one register merged: the higher promise, and the state of the
 * higher accepted ballot (a state travels with the ballot it was accepted at,
 * lineage and all). Each is what some acceptor held, so the merge holds no
 * promise and no proposal that nobody made.
 */
export function mergeRegisters(a: ScannedRegister, b: ScannedRegister): ScannedRegister {
  const newer = b.accepted > a.accepted ? b : a;
  return { key: a.key, promised: maxBallot(a.promised, b.promised), accepted: newer.accepted, state: newer.state };
}

/**
 * The k-way merge of several sources' key-ordered scans: every key any of them
 * holds, once, merged by maximum across the sources that hold it, in key
 * order. Each source is read a page at a time with its next page fetched while
 * the current one is merged, all sources at once, so memory is a few pages per
 * source however many keys there are.
 *
 * A source that fails, or turns out unusable, is dropped: the rows it gave
 * are kept (they are real promises and accepted states, and merging by
 * maximum cannot be hurt by them), but it does not count as a source that
 * served completely. Unusable: a peer that is catching up itself (it does not
 * vote) and holds rows, a partial copy; one whose voting changes between its
 * pages (it restarted on a new database half-way); keys out of order.
 */
export class MergedScan {
  private readonly cursors: SourceCursor[];

  constructor(sources: readonly ScanSource[], pageSize: number) {
    this.cursors = sources.map((source) => new SourceCursor(source, pageSize));
  }

  /** Sources still serving, or that served every page to the end. */
  usableSources(): number {
    return this.cursors.filter((cursor) => cursor.failure === undefined).length;
  }

  /** Sources that served every page, to the empty one that ends a scan. */
  completeSources(): string[] {
    return this.cursors.filter((cursor) => cursor.isComplete()).map((cursor) => cursor.source.id);
  }

  failures(): Array<{ source: string; error: Error }> {
    return this.cursors.flatMap((cursor) =>
      cursor.failure === undefined ? [] : [{ source: cursor.source.id, error: cursor.failure }],
    );
  }

  /** Up to `limit` merged registers following the last ones returned; none once every source is done. */
  async next(limit: number): Promise<ScannedRegister[]> {
    const merged: ScannedRegister[] = [];
    while (merged.length < limit) {
      for (const cursor of this.cursors) if (cursor.needsPage()) await cursor.loadPage();
      let smallest: string | undefined;
      for (const cursor of this.cursors) {
        const key = cursor.head()?.key;
        if (key !== undefined && (smallest === undefined || compareKeys(key, smallest) < 0)) smallest = key;
      }
      if (smallest === undefined) break;
      let register: ScannedRegister | undefined;
      for (const cursor of this.cursors) {
        const head = cursor.head();
        if (head?.key !== smallest) continue;
        register = register === undefined ? head : mergeRegisters(register, head);
        cursor.advance();
      }
      merged.push(register!);
    }
    return merged;
  }
}

type Fetched = { page: ScanPage } | { error: Error };

/** Where the merge stands in one source: its current page, and the next one on its way. */
class SourceCursor {
  failure?: Error;
  private rows: ScannedRegister[] = [];
  private index = 0;
  private ended = false;
  private voting?: boolean;
  private lastKey: string | null = null;
  /** Settled into a value, never rejected: it may wait unawaited while other sources are merged. */
  private fetching: Promise<Fetched>;

  constructor(
    readonly source: ScanSource,
    private readonly pageSize: number,
  ) {
    this.fetching = this.fetch(null);
  }

  head(): ScannedRegister | undefined {
    return this.failure === undefined ? this.rows[this.index] : undefined;
  }

  advance(): void {
    this.index += 1;
  }

  needsPage(): boolean {
    return this.failure === undefined && !this.ended && this.index >= this.rows.length;
  }

  isComplete(): boolean {
    return this.failure === undefined && this.ended;
  }

  async loadPage(): Promise<void> {
    const fetched = await this.fetching;
    if ('error' in fetched) {
      this.failure = fetched.error;
      return;
    }
    const { rows, voting } = fetched.page;
    const unusable = this.check(rows, voting);
    if (unusable !== undefined) {
      this.failure = new Error(unusable);
      return;
    }
    this.voting = voting;
    this.rows = rows;
    this.index = 0;
    if (rows.length === 0) {
      this.ended = true;
      return;
    }
    this.lastKey = rows[rows.length - 1]!.key;
    this.fetching = this.fetch(this.lastKey);
  }

  private check(rows: readonly ScannedRegister[], voting: boolean): string | undefined {
    if (!voting && rows.length > 0) return 'it is catching up itself and holds a partial copy';
    if (this.voting !== undefined && this.voting !== voting) return 'its acceptor started or stopped voting mid-scan';
    let previous = this.lastKey;
    for (const row of rows) {
      if (previous !== null && compareKeys(previous, row.key) >= 0) return `its keys are out of order at ${row.key}`;
      previous = row.key;
    }
    return undefined;
  }

  private fetch(after: string | null): Promise<Fetched> {
    return this.source.scan(after, this.pageSize).then(
      (page) => ({ page }),
      (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }
}
