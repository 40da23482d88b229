import { BadRequestException } from '@nestjs/common';
import { encodeBallot } from '../core/ballot';
import { LINEAGE_LIMIT } from '../core/register';
import { parseAcceptBody, parsePeekBody, parsePrepareBody, parseScanBody } from './peer-messages';

const b = (counter: number) => encodeBallot({ counter, boot: 1, nodeId: 'n1' });
const state = { present: true, value: { any: 'json' }, version: 3, lineage: [b(1), ''] };
const lineage = (ids: unknown, ballot = b(5)) => ({
  requests: [{ key: 'a', ballot, state: { ...state, lineage: ids } }],
});

describe('peer message parsing', () => {
  it('accepts well-formed batches', () => {
    expect(parsePrepareBody({ requests: [{ key: 'a', ballot: b(1) }] }).requests).toHaveLength(1);
    expect(parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state, next: b(2) }] }).requests).toHaveLength(1);
    expect(
      parseAcceptBody({
        requests: [{ key: 'a', ballot: b(1), state: { present: false, value: null, version: 4, lineage: [] } }],
      }).requests,
    ).toHaveLength(1);
    expect(parseAcceptBody(lineage([b(5), b(3), ''])).requests[0]!.state.lineage).toEqual([b(5), b(3), '']);
    const full = [...Array.from({ length: LINEAGE_LIMIT - 1 }, (_, i) => b(20 - i)), ''];
    expect(parseAcceptBody(lineage(full, b(20))).requests[0]!.state.lineage).toEqual(full);
    expect(parsePeekBody({ keys: ['a', 'b'] }).keys).toEqual(['a', 'b']);
    expect(parseScanBody({ after: null, limit: 10 })).toEqual({ after: null, limit: 10 });
  });

  it('reads a state without a lineage (from a peer on the release before lineages) as "not known"', () => {
    const withoutLineage: Record<string, unknown> = { ...state };
    delete withoutLineage.lineage;
    const [request] = parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: withoutLineage }] }).requests;
    expect(request!.state.lineage).toEqual([]);
  });

  it('carries an expiry with a present state, and reads a null one as none', () => {
    const expiring = { ...state, expiresAt: 1_800_000_000_123 };
    const [request] = parseAcceptBody({ requests: [{ key: 'a', ballot: b(5), state: expiring }] }).requests;
    expect(request!.state).toEqual(expiring);
    const [unset] = parseAcceptBody({
      requests: [{ key: 'a', ballot: b(5), state: { ...state, expiresAt: null } }],
    }).requests;
    expect(unset!.state).toEqual(state);
    expect('expiresAt' in unset!.state).toBe(false);
  });

  it.each([
    ['no list', () => parsePrepareBody({})],
    ['a zero ballot', () => parsePrepareBody({ requests: [{ key: 'a', ballot: '' }] })],
    ['a made-up ballot', () => parsePrepareBody({ requests: [{ key: 'a', ballot: 'high' }] })],
    ['an empty key', () => parsePrepareBody({ requests: [{ key: '', ballot: b(1) }] })],
    ['a key with a lone surrogate', () => parsePrepareBody({ requests: [{ key: 'a\ud800', ballot: b(1) }] })],
    [
      'a key twice',
      () =>
        parsePrepareBody({
          requests: [
            { key: 'a', ballot: b(1) },
            { key: 'a', ballot: b(2) },
          ],
        }),
    ],
    ['next not above the ballot', () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(2), state, next: b(1) }] })],
    [
      'a state without version',
      () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: { present: true, value: 1 } }] }),
    ],
    [
      'a present state without value',
      () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(1), state: { present: true, version: 1 } }] }),
    ],
    ['a lineage that is not a list', () => parseAcceptBody(lineage('00000000000001.00000001.n1'))],
    ['a lineage with a made-up id', () => parseAcceptBody(lineage(['high']))],
    ['a lineage not decreasing', () => parseAcceptBody(lineage([b(3), b(4)]))],
    ['a lineage naming an id twice', () => parseAcceptBody(lineage([b(3), b(3)]))],
    ['a lineage with the origin before the end', () => parseAcceptBody(lineage(['', b(1)]))],
    ['a lineage with an id above the ballot', () => parseAcceptBody(lineage([b(6)]))],
    [
      'a lineage longer than the limit',
      () => parseAcceptBody(lineage([...Array.from({ length: LINEAGE_LIMIT }, (_, i) => b(20 - i)), ''], b(20))),
    ],
    ...[1.5, -1, 0, '1800000000000', 2 ** 53].map((expiresAt): [string, () => unknown] => [
      `an expiry of ${JSON.stringify(expiresAt)}`,
      () => parseAcceptBody({ requests: [{ key: 'a', ballot: b(5), state: { ...state, expiresAt } }] }),
    ]),
    [
      'a tombstone with an expiry',
      () =>
        parseAcceptBody({
          requests: [
            { key: 'a', ballot: b(5), state: { present: false, value: null, version: 4, lineage: [], expiresAt: 5 } },
          ],
        }),
    ],
    ['a non-string key to peek', () => parsePeekBody({ keys: [1] })],
    ['a scan limit of zero', () => parseScanBody({ after: null, limit: 0 })],
  ])('rejects %s with a 400', (_label, parse) => {
    expect(parse).toThrow(BadRequestException);
  });
});
