import { NextBallotCache } from './next-ballot-cache';
import { ABSENT } from './register';

const entry = (ballot: string) => ({ ballot, state: ABSENT });

describe('NextBallotCache', () => {
  it('hands an entry out once', () => {
    const cache = new NextBallotCache(10);
    cache.put('k', entry('b1'));
    expect(cache.take('k')).toEqual(entry('b1'));
    expect(cache.take('k')).toBeUndefined();
  });

  it('forgets the least recently stored key when full', () => {
    const cache = new NextBallotCache(2);
    cache.put('a', entry('1'));
    cache.put('b', entry('2'));
    cache.put('a', entry('3')); // refreshes a
    cache.put('c', entry('4'));
    expect(cache.size).toBe(2);
    expect(cache.take('b')).toBeUndefined();
    expect(cache.take('a')).toEqual(entry('3'));
    expect(cache.take('c')).toEqual(entry('4'));
  });

  it('can be turned off', () => {
    const cache = new NextBallotCache(0);
    cache.put('a', entry('1'));
    expect(cache.take('a')).toBeUndefined();
  });
});
