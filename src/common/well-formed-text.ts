/**
 * A lone surrogate (half of a UTF-16 pair, e.g. "\ud800" in JSON) has no UTF-8
 * form: the driver sends U+FFFD in its place, so two different keys would
 * become the same row. In a /u regex a proper pair is one code point, so only a
 * lone half matches. (String.prototype.isWellFormed is ES2024; the lib is ES2022.)
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
