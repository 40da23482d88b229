/**
 * A run of keys in byte order (the UTF-8 bytes compared, as PostgreSQL's
 * COLLATE "C" does): what a listing reads one page of.
 *
 * A key k is in the range when it is after `from` (or equal to it, when
 * `fromInclusive`), before `end` when there is one, and starts with `prefix`
 * when there is one. A listing by prefix p starts at { from: p, fromInclusive:
 * true, prefix: p }; its next page starts after the last key of the previous.
 */
export interface KeyRange {
  readonly from: string;
  readonly fromInclusive: boolean;
  readonly end?: string;
  readonly prefix?: string;
}

/**
 * Byte order of the UTF-8 encodings, which is code point order. JavaScript's
 * own `<` compares UTF-16 code units, which puts U+E000..U+FFFF after the
 * astral planes: not the order the database keeps.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // a surrogate pair: both strings have it here, skip its second half
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function inRange(key: string, range: KeyRange): boolean {
  const fromOrder = compareKeys(key, range.from);
  if (fromOrder < 0 || (fromOrder === 0 && !range.fromInclusive)) return false;
  if (range.end !== undefined && compareKeys(key, range.end) >= 0) return false;
  return range.prefix === undefined || key.startsWith(range.prefix);
}
