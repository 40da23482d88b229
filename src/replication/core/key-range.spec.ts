import { compareKeys, inRange } from './key-range';

describe('key order', () => {
  it('is the byte order of UTF-8, not the order of UTF-16 code units', () => {
    const keys = ['\u{1F600}', '\uFF21', 'b', 'a', 'ab', '', 'a\u{10000}', 'a\uFFFF'];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    expect(compareKeys('\uFF21', '\u{1F600}')).toBe(-1); // '\uFF21' > '\u{1F600}' in JavaScript's own order
  });

  it('places keys in a range by its bounds and prefix', () => {
    expect(inRange('a', { from: 'a', fromInclusive: true })).toBe(true);
    expect(inRange('a', { from: 'a', fromInclusive: false })).toBe(false);
    expect(inRange('b', { from: 'a', fromInclusive: true, end: 'b' })).toBe(false);
    expect(inRange('app/1', { from: 'app/', fromInclusive: true, prefix: 'app/' })).toBe(true);
    expect(inRange('apq', { from: 'app/', fromInclusive: true, prefix: 'app/' })).toBe(false);
  });
});
