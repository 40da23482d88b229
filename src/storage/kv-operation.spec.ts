import { parseForwardedOperation, parseForwardedResult, PutOperation } from './kv-operation';

/** Forwarded operations and their results on the wire: a TTL travels to the proposer, the expiry back. */
describe('forwarded operations with a TTL', () => {
  const put = { type: 'put', key: 'k', value: 1, conditions: {} };

  it('carries ttlSeconds to the proposer, and a put without one stays without', () => {
    expect(parseForwardedOperation({ ...put, ttlSeconds: 30 })).toEqual({ ...put, ttlSeconds: 30 });
    expect(parseForwardedOperation(put)).toEqual(put);
    expect(parseForwardedOperation({ ...put, ttlSeconds: null })).toEqual(put);
  });

  it.each([0, -1, 31_536_001, 1.5, '30'])('refuses ttlSeconds %p', (ttlSeconds) => {
    expect(parseForwardedOperation({ ...put, ttlSeconds })).toBeUndefined();
  });

  it('carries expiresAt back in put and read results, and refuses a malformed one', () => {
    const op = put as PutOperation;
    expect(parseForwardedResult(op, { created: true, version: 1, expiresAt: 1_800_000_000_000 })).toEqual({
      type: 'put',
      created: true,
      version: 1,
      expiresAt: 1_800_000_000_000,
    });
    expect(parseForwardedResult(op, { created: true, version: 1 })).toEqual({ type: 'put', created: true, version: 1 });
    expect(parseForwardedResult(op, { created: true, version: 1, expiresAt: 'soon' })).toBeUndefined();
    const read = { type: 'read', key: 'k', consistency: 'linearizable' } as const;
    expect(parseForwardedResult(read, { value: 'v', version: 2, expiresAt: 5 })).toEqual({
      type: 'read',
      value: 'v',
      version: 2,
      expiresAt: 5,
    });
  });
});
