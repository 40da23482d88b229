import { KeyNotFoundError, PreconditionFailedError } from '../kv.errors';
import { decodeError, encodeError, EncodedError } from './kv-ops';

/** Through JSON, as on the wire. */
const roundTrip = (error: Error, key = 'k'): Error =>
  decodeError(key, JSON.parse(JSON.stringify(encodeError(error))) as EncodedError);

describe('forwarded errors on the wire', () => {
  it("carries a deleted key's version, so a forwarded read's 404 keeps X-Kv-Version", () => {
    const decoded = roundTrip(new KeyNotFoundError('k', 5));
    expect(decoded).toBeInstanceOf(KeyNotFoundError);
    expect((decoded as KeyNotFoundError).version).toBe(5);
    expect((roundTrip(new KeyNotFoundError('k')) as KeyNotFoundError).version).toBeUndefined();
  });

  it('reads a 404 without a version (a peer on the release before) or with a malformed one as unknown', () => {
    for (const currentVersion of [undefined, -1.5, 'x']) {
      const decoded = decodeError('k', { code: 'KEY_NOT_FOUND', message: 'gone', currentVersion } as EncodedError);
      expect((decoded as KeyNotFoundError).version).toBeUndefined();
    }
  });

  it("still carries a failed precondition's version", () => {
    expect((roundTrip(new PreconditionFailedError('k', 4)) as PreconditionFailedError).currentVersion).toBe(4);
  });
});
