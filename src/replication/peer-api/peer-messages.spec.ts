import { BadRequestException } from '@nestjs/common';
import { encodeBallot } from '../core/ballot';
import { parseAcceptBody, parsePeekBody, parsePrepareBody, parseScanBody } from './peer-messages';

const b = (counter: number) => encodeBallot({ counter, boot: 1, nodeId: 'n1' });
const state = { present: true, value: { any: 'json' }, version: 3 };

describe('peer message parsing', () => {
  it('accepts well-formed batches', () => {
    expect(parsePrepareBody({ requests: [{ key: 'a', ballot: b(1) }] }).requests).toHaveLength(1);
    expect(parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state, next: b(2) }] }).requests).toHaveLength(1);
    expect(parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: { present: false, value: null, version: 4 } }] }).requests).toHaveLength(1);
    expect(parsePeekBody({ keys: ['a', 'b'] }).keys).toEqual(['a', 'b']);
    expect(parseScanBody({ after: null, limit: 10 })).toEqual({ after: null, limit: 10 });
  });

  it.each([
    ['no list', () => parsePrepareBody({})],
    ['a zero ballot', () => parsePrepareBody({ requests: [{ key: 'a', ballot: '' }] })],
    ['a made-up ballot', () => parsePrepareBody({ requests: [{ key: 'a', ballot: 'high' }] })],
    ['an empty key', () => parsePrepareBody({ requests: [{ key: '', ballot: b(1) }] })],
    ['a key twice', () => parsePrepareBody({ requests: [{ key: 'a', ballot: b(1) }, { key: 'a', ballot: b(2) }] })],
    ['next not above the ballot', () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(2), state, next: b(1) }] })],
    ['a state without version', () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: { present: true, value: 1 } }] })],
    ['a present state without value', () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: { present: true, version: 1 } }] })],
    ['a non-string key to peek', () => parsePeekBody({ keys: [1] })],
    ['a scan limit of zero', () => parseScanBody({ after: null, limit: 0 })],
  ])('rejects %s with a 400', (_label, parse) => {
    expect(parse).toThrow(BadRequestException);
  });
});
