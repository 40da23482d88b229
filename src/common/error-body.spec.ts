import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ReplicationError } from '../replication/core/errors';
import { KeyNotFoundError, PreconditionFailedError } from '../storage/kv.errors';
import { describeError, describeKnownError } from './error-body';

describe('error bodies', () => {
  it('maps domain errors to their statuses', () => {
    expect(describeError(new KeyNotFoundError('k'))).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'key "k" not found',
    });
    expect(describeError(new PreconditionFailedError('k', 3)).statusCode).toBe(412);
  });

  it('says who was unreachable and whether a 503 write may have happened', () => {
    const body = describeError(ReplicationError.outcomeUnknown('accept reached no majority', ['n2', 'n3']));
    expect(body).toEqual(
      expect.objectContaining({ statusCode: 503, unreachablePeers: ['n2', 'n3'], mayHaveTakenEffect: true }),
    );
    expect(describeError(ReplicationError.quorumUnreachable('no majority', ['n2'])).mayHaveTakenEffect).toBe(false);
  });

  it('flattens validation messages into one string', () => {
    expect(describeError(new BadRequestException(['a is bad', 'b is bad'])).message).toBe('a is bad; b is bad');
    expect(describeError(new NotFoundException()).statusCode).toBe(404);
  });

  it('keeps client errors from parsers and leaves everything else to the 500 path', () => {
    expect(
      describeKnownError(Object.assign(new Error('request entity too large'), { status: 413, expose: true }))
        ?.statusCode,
    ).toBe(413);
    expect(describeKnownError(new TypeError('bug'))).toBeUndefined();
    expect(describeKnownError(Object.assign(new Error('db down'), { status: 500 }))).toBeUndefined();
    expect(describeError(new TypeError('bug'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error',
    });
  });
});
