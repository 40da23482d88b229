import { classifyFailure } from './failures';

/** Errors shaped as fetch (undici) throws them. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}
function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyFailure', () => {
  it('knows a refused or unroutable connection never carried the request', () => {
    expect(classifyFailure(fetchFailed(coded('ECONNREFUSED'))).neverSent).toBe(true);
    expect(classifyFailure(fetchFailed(coded('UND_ERR_CONNECT_TIMEOUT'))).neverSent).toBe(true);
    expect(classifyFailure(fetchFailed(coded('ENOTFOUND'))).neverSent).toBe(true);
    // several addresses of one name, every one refused
    const all = new AggregateError([coded('ECONNREFUSED'), coded('EHOSTUNREACH')]);
    expect(classifyFailure(fetchFailed(all))).toEqual({ neverSent: true, description: 'ECONNREFUSED, EHOSTUNREACH' });
  });

  it('counts anything after a connection as possibly delivered', () => {
    expect(classifyFailure(fetchFailed(coded('UND_ERR_SOCKET', 'other side closed'))).neverSent).toBe(false);
    expect(classifyFailure(fetchFailed(coded('ECONNRESET'))).neverSent).toBe(false);
    expect(classifyFailure(new DOMException('The operation timed out.', 'TimeoutError')).neverSent).toBe(false);
    expect(classifyFailure(fetchFailed(new Error('something else'))).neverSent).toBe(false);
    expect(
      classifyFailure(fetchFailed(new AggregateError([coded('ECONNREFUSED'), coded('ECONNRESET')]))).neverSent,
    ).toBe(false);
  });
});
