import { compareFeedPositions, decodeFeedPosition, encodeFeedPosition } from './feed-position';
import { HybridClock } from './hybrid-clock';

describe('feed positions', () => {
  it('order by stamp, then key in byte order, a frontier after every key of its stamp', () => {
    const sorted = [
      { stamp: 1, key: 'z' },
      { stamp: 2, key: 'a' },
      { stamp: 2, key: '\uFF61' }, // above U+10000 in UTF-16 order, below it in UTF-8
      { stamp: 2, key: '\u{10000}' },
      { stamp: 2 },
      { stamp: 3, key: '' },
    ];
    const shuffled = [sorted[3]!, sorted[5]!, sorted[0]!, sorted[4]!, sorted[2]!, sorted[1]!];
    expect(shuffled.sort(compareFeedPositions)).toEqual(sorted);
  });

  it('round-trip through ids that hold no newline, and refuse anything else', () => {
    for (const position of [
      { stamp: 0 },
      { stamp: 1_765_000_000_000_123 },
      { stamp: 7, key: 'a\nb/é' },
      { stamp: 7, key: '' },
    ]) {
      const id = encodeFeedPosition(position);
      expect(id).toMatch(/^[0-9A-Za-z._-]+$/);
      expect(decodeFeedPosition(id)).toEqual(position);
    }
    for (const id of ['', 'x', '-1', '01', '1.a=', '1.a b', '99999999999999999', '1.2.3', '1.YQ', '1.YR'])
      expect({ id, decoded: decodeFeedPosition(id) }).toEqual({
        id,
        decoded: id === '1.YQ' ? { stamp: 1, key: 'a' } : undefined,
      });
  });
});

describe('HybridClock', () => {
  it('follows the wall clock, never repeats, and stays above what it observed and reported', () => {
    let wall = 1000;
    const clock = new HybridClock(() => wall);
    expect(clock.next()).toBe(1000);
    expect(clock.next()).toBe(1001);
    clock.observe(5000);
    expect(clock.next()).toBe(5001);
    wall = 6000;
    expect(clock.current()).toBe(6000);
    wall = 10; // a wall clock stepping back
    expect(clock.next()).toBe(6001);
  });
});
