import type { IncomingMessage } from 'node:http';
import { isAcceptableRequestId, requestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function requestWith(header: string | string[] | undefined): IncomingMessage {
  return { headers: header === undefined ? {} : { 'x-request-id': header } } as unknown as IncomingMessage;
}

describe('request ids', () => {
  it.each(['abc-123', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', '01HZX3ABCDEF', 'trace:span/1+2=', 'x'.repeat(128)])(
    "keeps the client's %p",
    (id) => {
      expect(requestIdOf(requestWith(id))).toBe(id);
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['with a space', 'a b'],
    ['with a quote', 'a"b'],
    ['with a newline', 'a\nb'],
    ['with a control character', 'a\u0007b'],
    ['not ASCII', 'é'],
    ['sent twice', ['a', 'b']],
  ])('replaces one %s with a new UUID', (_, id) => {
    expect(requestIdOf(requestWith(id))).toMatch(UUID);
  });

  it('makes a new UUID for each request that sends none', () => {
    const first = requestIdOf(requestWith(undefined));
    expect(first).toMatch(UUID);
    expect(requestIdOf(requestWith(undefined))).not.toBe(first);
  });

  it('accepts only strings', () => {
    expect(isAcceptableRequestId(42)).toBe(false);
    expect(isAcceptableRequestId(undefined)).toBe(false);
  });
});
