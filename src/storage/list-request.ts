import { BadRequestException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { isWellFormedText } from '../common/well-formed-text';
import { compareKeys, KeyRange } from '../replication/core/key-range';
import { ListQueryDto } from './dto/list-query.dto';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface ListRequest {
  /** The range of this page: the listing's range, continued after the cursor's key. */
  readonly range: KeyRange;
  readonly limit: number;
  readonly keysOnly: boolean;
  readonly consistency: 'linearizable' | 'local';
  /** Names the listing (its prefix or bounds), so that a cursor cannot be replayed on another one. */
  readonly listing: string;
}

/**
 * A cursor is opaque to clients: base64url of JSON naming the listing and the
 * last key covered. It holds no secret and no state: any node continues it.
 */
interface CursorContent {
  readonly l: string;
  readonly a: string;
}

export function parseListRequest(query: ListQueryDto, maxKeyBytes: number): ListRequest {
  const { prefix, start, end } = query;
  if (prefix !== undefined && (start !== undefined || end !== undefined))
    throw new BadRequestException('give either prefix, or start and end, not both');
  for (const [name, bound] of Object.entries({ prefix, start, end })) {
    if (bound === undefined) continue;
    if (bound.includes('\u0000') || !isWellFormedText(bound) || Buffer.byteLength(bound) > maxKeyBytes)
      throw new BadRequestException(`${name} must be valid text of at most ${maxKeyBytes} bytes without U+0000`);
  }
  if (start !== undefined && end !== undefined && compareKeys(start, end) > 0)
    throw new BadRequestException('start must not come after end');

  const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE))
    throw new BadRequestException(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);

  const listing = listingName(prefix, start, end);
  const first: KeyRange = {
    from: prefix ?? start ?? '',
    fromInclusive: true,
    ...(end !== undefined && { end }),
    ...(prefix !== undefined && prefix !== '' && { prefix }),
  };
  const after = query.cursor === undefined ? undefined : cursorKey(query.cursor, listing, first);
  return {
    range: after === undefined ? first : { ...first, from: after, fromInclusive: false },
    limit,
    keysOnly: query.keysOnly === 'true',
    consistency: query.consistency ?? 'linearizable',
    listing,
  };
}

export function encodeCursor(listing: string, lastKey: string): string {
  const content: CursorContent = { l: listing, a: lastKey };
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

function cursorKey(cursor: string, listing: string, first: KeyRange): string {
  let content: Partial<CursorContent>;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorContent>;
  } catch {
    throw new BadRequestException('cursor is not one this API gave out');
  }
  if (typeof content !== 'object' || content === null || typeof content.a !== 'string' || typeof content.l !== 'string')
    throw new BadRequestException('cursor is not one this API gave out');
  if (content.l !== listing) throw new BadRequestException('cursor belongs to another listing (prefix, start or end)');
  if (compareKeys(content.a, first.from) < 0) throw new BadRequestException('cursor is not one this API gave out');
  return content.a;
}

/** Short and fixed in size, whatever the bounds. */
function listingName(prefix?: string, start?: string, end?: string): string {
  const bounds = JSON.stringify([prefix ?? null, start ?? null, end ?? null]);
  return createHash('sha256').update(bounds).digest('base64url').slice(0, 16);
}
