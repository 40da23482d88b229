import { ABSENT } from '../replication/core/register';
import { matchesWeakly, parseEntityTags, preconditionsHold } from './preconditions';

const present = (version: number) => ({ present: true, value: 'x', version });

describe('parseEntityTags', () => {
  it('reads *, strong and weak tags, and lists', () => {
    expect(parseEntityTags(undefined)).toBeUndefined();
    expect(parseEntityTags(' * ')).toEqual({ any: true });
    expect(parseEntityTags('"3"')).toEqual({ any: false, strong: [3], weak: [] });
    expect(parseEntityTags('"1", W/"2" ,"x-other"')).toEqual({ any: false, strong: [1], weak: [2] });
  });

  it.each(['3', '"3', 'W/', '"1" junk', '', '"a" "b"'])('rejects %j', (header) => {
    expect(() => parseEntityTags(header)).toThrow(SyntaxError);
  });
});

describe('preconditionsHold', () => {
  const tags = (header: string) => parseEntityTags(header)!;

  it('If-Match compares strongly and fails on an absent key', () => {
    expect(preconditionsHold(present(2), { ifMatch: tags('"2"') })).toBe(true);
    expect(preconditionsHold(present(2), { ifMatch: tags('"1"') })).toBe(false);
    expect(preconditionsHold(present(2), { ifMatch: tags('W/"2"') })).toBe(false);
    expect(preconditionsHold(present(2), { ifMatch: tags('*') })).toBe(true);
    expect(preconditionsHold(ABSENT, { ifMatch: tags('*') })).toBe(false);
    expect(preconditionsHold({ present: false, value: null, version: 4 }, { ifMatch: tags('"4"') })).toBe(false);
  });

  it('If-None-Match fails only on a present, matching key', () => {
    expect(preconditionsHold(ABSENT, { ifNoneMatch: tags('*') })).toBe(true);
    expect(preconditionsHold(present(1), { ifNoneMatch: tags('*') })).toBe(false);
    expect(preconditionsHold(present(1), { ifNoneMatch: tags('W/"1"') })).toBe(false);
    expect(preconditionsHold(present(1), { ifNoneMatch: tags('"2"') })).toBe(true);
  });

  it('holds with no conditions', () => {
    expect(preconditionsHold(ABSENT, {})).toBe(true);
  });
});

describe('matchesWeakly', () => {
  it('matches strong and weak tags of the version', () => {
    expect(matchesWeakly(parseEntityTags('W/"5"')!, 5)).toBe(true);
    expect(matchesWeakly(parseEntityTags('"5"')!, 5)).toBe(true);
    expect(matchesWeakly(parseEntityTags('"4"')!, 5)).toBe(false);
  });
});
