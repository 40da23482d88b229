/**
 * A client's listing: a walk over a range (a prefix, or start and end), page
 * after page following `nextCursor`, turned into per-key reads the checker
 * judges like any GET:
 *
 * - every listed item is a read that found it, over its page's interval;
 * - every key of the range the walk covered but did not list is a read that
 *   found nothing, over the interval from the walk's first request to the end
 *   of the page that covered it. The store promises that a key left out was
 *   absent at some moment while the page that passed over it ran; which page
 *   that was is not known here (a cursor is opaque), so the interval spans
 *   them all: weaker, never wrong. A page covered at least up to its last
 *   listed key, and all of the range when its nextCursor is null.
 *
 * What the checker cannot see is checked here: keys in order and in range,
 * and no key listed twice in one walk ("exactly once").
 */
import type { HistoryRecorder, JsonValue, ReadResult } from '../history';
import { HttpOutcome, httpRequest } from './http';
import type { RequestRecord } from './workload';
import http from 'node:http';

export interface ListingRange {
  readonly prefix?: string;
  readonly start?: string;
  readonly end?: string;
}

export interface ListingWalkContext {
  readonly nodes: ReadonlyMap<string, number>;
  readonly recorder: HistoryRecorder;
  readonly clock: () => number;
  readonly clientTimeoutMs: number;
  /** Negative control: list with ?consistency=local. */
  readonly localReads: boolean;
  readonly onRequest: (record: RequestRecord) => void;
  readonly agent?: http.Agent;
}

export interface ListingWalkOutcome {
  /** A page had no usable answer (transport failure or 5xx): the client moves on. */
  readonly unavailable: boolean;
  /** Broken promises of the listing itself (order, range, duplicates, bad shape). */
  readonly problems: readonly string[];
}

/** At most this many pages per walk, so that a bug that never ends a walk cannot stall a client. */
const MAX_PAGES = 50;

/**
 * Walks one listing on one node. `keySpace` holds every key the workload may
 * have written in the range: those not listed are the reads that found nothing.
 */
export async function walkListing(
  context: ListingWalkContext,
  client: string,
  node: string,
  range: ListingRange,
  limit: number,
  keySpace: readonly string[],
): Promise<ListingWalkOutcome> {
  const port = context.nodes.get(node)!;
  const listed = new Set<string>();
  const problems: string[] = [];
  const walkStart = context.clock();
  const label = `${client}@${node}`;
  let cursor: string | undefined;
  /** The walk covered every key up to this one (inclusive), or the whole range when `all`. */
  let covered: { upTo?: string; all: boolean; time: number } | undefined;
  let lastKey: string | undefined;

  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({
      ...range,
      limit: String(limit),
      ...(cursor === undefined ? {} : { cursor }),
      ...(context.localReads ? { consistency: 'local' } : {}),
    });
    const invokeTime = context.clock();
    const answer = await httpRequest({
      port,
      method: 'GET',
      path: `/kv-store/v1/kv?${query.toString()}`,
      timeoutMs: context.clientTimeoutMs,
      ...(context.agent ? { agent: context.agent } : {}),
    });
    const completeTime = context.clock();
    const parsed = parsePage(answer);
    context.onRequest({
      id: 0,
      client,
      node,
      key: `(list ${JSON.stringify(range)})`,
      f: 'list',
      invokeTime,
      completeTime,
      ...(answer.kind === 'response' ? { status: answer.status } : { errorCode: answer.code }),
      outcome: parsed.ok ? 'ok' : 'info',
    });
    if (!parsed.ok) {
      if (parsed.problem) problems.push(`${label}: ${parsed.problem}`);
      recordAbsences(covered);
      return { unavailable: answer.kind === 'error' || answer.status >= 500, problems };
    }

    for (const item of parsed.items) {
      if (lastKey !== undefined && item.key <= lastKey)
        problems.push(`${label}: ${JSON.stringify(item.key)} listed after ${JSON.stringify(lastKey)} in one walk`);
      if (!inListingRange(item.key, range))
        problems.push(`${label}: ${JSON.stringify(item.key)} is outside ${JSON.stringify(range)}`);
      if (listed.has(item.key)) problems.push(`${label}: ${JSON.stringify(item.key)} listed twice in one walk`);
      listed.add(item.key);
      lastKey = item.key;
      const result: ReadResult = { found: true, value: item.value, version: item.version };
      context.recorder.observed(label, item.key, { f: 'read', via: 'list' }, result, invokeTime, completeTime);
    }
    if (parsed.nextCursor === null) {
      covered = { all: true, time: completeTime };
      break;
    }
    if (lastKey !== undefined) covered = { upTo: lastKey, all: false, time: completeTime };
    cursor = parsed.nextCursor;
  }
  recordAbsences(covered);
  return { unavailable: false, problems };

  function recordAbsences(upTo: typeof covered): void {
    if (upTo === undefined) return;
    for (const key of keySpace) {
      if (listed.has(key) || !inListingRange(key, range)) continue;
      if (!upTo.all && key > upTo.upTo!) continue;
      context.recorder.observed(label, key, { f: 'read', via: 'list' }, { found: false }, walkStart, upTo.time);
    }
  }
}

/** Workload keys are ASCII, so JavaScript's string order is the store's byte order here. */
function inListingRange(key: string, range: ListingRange): boolean {
  if (range.prefix !== undefined) return key.startsWith(range.prefix);
  if (range.start !== undefined && key < range.start) return false;
  return range.end === undefined || key < range.end;
}

type ParsedPage =
  | {
      readonly ok: true;
      readonly items: Array<{ key: string; value: JsonValue; version: number }>;
      readonly nextCursor: string | null;
    }
  | { readonly ok: false; readonly problem?: string };

function parsePage(answer: HttpOutcome): ParsedPage {
  if (answer.kind === 'error' || answer.status !== 200) return { ok: false };
  const body = answer.body as { items?: unknown; nextCursor?: unknown };
  const items = body?.items;
  const nextCursor = body?.nextCursor;
  const wellFormed =
    Array.isArray(items) &&
    (nextCursor === null || typeof nextCursor === 'string') &&
    items.every(
      (item: { key?: unknown; version?: unknown }) =>
        typeof item?.key === 'string' && Number.isInteger(item.version) && 'value' in item,
    );
  if (!wellFormed) return { ok: false, problem: `a listing page of the wrong shape: ${JSON.stringify(body)}` };
  return { ok: true, items: items as Array<{ key: string; value: JsonValue; version: number }>, nextCursor };
}
