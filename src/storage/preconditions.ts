import { RegisterContent } from '../replication/core/register';

/**
 * A parsed entity-tag list from If-Match or If-None-Match: `*`, or the
 * versions named by strong ("7") and weak (W/"7") tags.
 */
export type EntityTagCondition =
  | { readonly any: true }
  | { readonly any: false; readonly strong: readonly number[]; readonly weak: readonly number[] };

export interface Preconditions {
  readonly ifMatch?: EntityTagCondition;
  readonly ifNoneMatch?: EntityTagCondition;
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * RFC 9110 §13.1.1-2 for a write: If-Match uses strong comparison (a weak tag
 * never matches) and fails on an absent key; If-None-Match uses weak
 * comparison and fails when the key is present and matches (`*`: when present).
 */
export function preconditionsHold(current: RegisterContent, conditions: Preconditions): boolean {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch) {
    if (!current.present) return false;
    if (!ifMatch.any && !ifMatch.strong.includes(current.version)) return false;
  }
  if (ifNoneMatch && current.present && matchesWeakly(ifNoneMatch, current.version)) return false;
  return true;
}

/** For GET with If-None-Match: true when the client's copy is current (304). */
export function matchesWeakly(condition: EntityTagCondition, version: number): boolean {
  return condition.any || condition.strong.includes(version) || condition.weak.includes(version);
}

/**
 * Parses an If-Match / If-None-Match header. Returns undefined when absent,
 * throws a SyntaxError when malformed. Tags that are not our numeric versions
 * are valid syntax but can never match, so they are simply left out.
 */
export function parseEntityTags(header: string | undefined): EntityTagCondition | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return { any: true };
  const strong: number[] = [];
  const weak: number[] = [];
  const tag = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(,|$)/gy;
  let consumed = 0;
  for (let match = tag.exec(trimmed); match; match = tag.exec(trimmed)) {
    consumed = tag.lastIndex;
    const [, weakPrefix, opaque] = match;
    if (opaque !== undefined && /^\d{1,15}$/.test(opaque)) (weakPrefix ? weak : strong).push(Number(opaque));
    if (consumed >= trimmed.length) break;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new SyntaxError('expected "*" or a comma-separated list of entity tags such as "3" or W/"3"');
  }
  return { any: false, strong, weak };
}
