import { BallotClock, ZERO_BALLOT, compareBallots, decodeBallot, encodeBallot, isBallot, maxBallot } from './ballot';

describe('ballot', () => {
  it('round-trips through its encoding', () => {
    const parts = { counter: 123456, boot: 7, nodeId: 'node-a' };
    expect(decodeBallot(encodeBallot(parts))).toEqual(parts);
    expect(isBallot(encodeBallot(parts))).toBe(true);
    expect(isBallot(ZERO_BALLOT)).toBe(true);
    expect(isBallot('nonsense')).toBe(false);
  });

  it('orders by counter, then boot, then node id, as plain strings', () => {
    const ordered = [
      encodeBallot({ counter: 1, boot: 9, nodeId: 'z' }),
      encodeBallot({ counter: 2, boot: 0, nodeId: 'z' }),
      encodeBallot({ counter: 2, boot: 1, nodeId: 'a' }),
      encodeBallot({ counter: 2, boot: 1, nodeId: 'b' }),
      encodeBallot({ counter: 0x10, boot: 0, nodeId: 'a' }),
    ];
    expect([...ordered].reverse().sort()).toEqual(ordered);
    expect(compareBallots(ordered[0]!, ordered[1]!)).toBe(-1);
    expect(compareBallots(ordered[1]!, ordered[1]!)).toBe(0);
    expect(maxBallot(ordered[3]!, ordered[2]!)).toBe(ordered[3]);
    expect(compareBallots(ZERO_BALLOT, ordered[0]!)).toBe(-1);
  });

  it('rejects malformed parts', () => {
    expect(() => encodeBallot({ counter: 0, boot: 0, nodeId: 'a' })).toThrow(RangeError);
    expect(() => encodeBallot({ counter: 1, boot: -1, nodeId: 'a' })).toThrow(RangeError);
    expect(() => encodeBallot({ counter: 1, boot: 0, nodeId: 'a.b' })).toThrow(RangeError);
    expect(() => decodeBallot('x')).toThrow(RangeError);
  });

  describe('BallotClock', () => {
    it('hands out strictly increasing ballots', () => {
      const clock = new BallotClock('a', 1);
      const first = clock.next();
      const second = clock.next();
      expect(second > first).toBe(true);
    });

    it('jumps above every ballot it has observed', () => {
      const clock = new BallotClock('a', 0);
      const foreign = encodeBallot({ counter: 50, boot: 3, nodeId: 'z' });
      clock.observe(foreign);
      clock.observe(ZERO_BALLOT);
      expect(clock.next() > foreign).toBe(true);
    });

    it('never repeats a ballot across boots even when the counter restarts', () => {
      const before = new BallotClock('a', 1).next();
      const after = new BallotClock('a', 2).next();
      expect(after).not.toBe(before);
      expect(after > before).toBe(true);
    });
  });
});
