import { ArgumentsHost, BadRequestException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ReplicationError } from '../replication/core/errors';
import { WaitRefusedError } from '../replication/core/version-waiters';
import { AcceptorNotVotingError } from '../replication/recovery/acceptor-gate';
import { KeyNotFoundError, PreconditionFailedError } from '../storage/kv.errors';
import { AllExceptionsFilter } from './all-exceptions.filter';

/** The filter with a recording adapter: what status and body each error would be answered with. */
function answer(error: unknown): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  const replies: Array<{ body: Record<string, unknown>; status: number }> = [];
  const headers: Record<string, string> = {};
  const response = Symbol('response');
  const adapterHost = {
    httpAdapter: {
      reply: (target: unknown, body: Record<string, unknown>, status: number) => {
        expect(target).toBe(response);
        replies.push({ body, status });
      },
      setHeader: (target: unknown, name: string, value: string) => {
        expect(target).toBe(response);
        expect(replies).toHaveLength(0); // before the answer leaves
        headers[name] = value;
      },
    },
  } as unknown as HttpAdapterHost;
  const host = {
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ id: REQUEST_ID }) }),
  } as unknown as ArgumentsHost;
  new AllExceptionsFilter(adapterHost).catch(error, host);
  expect(replies).toHaveLength(1);
  return { ...replies[0]!, headers };
}

const REQUEST_ID = 'the-request-id';
const SHAPE = ['error', 'message', 'requestId', 'statusCode'];

describe('AllExceptionsFilter', () => {
  it.each([
    [new KeyNotFoundError('k'), HttpStatus.NOT_FOUND, 'Not Found', SHAPE],
    [new PreconditionFailedError('k', 4), HttpStatus.PRECONDITION_FAILED, 'Precondition Failed', SHAPE],
    [
      ReplicationError.quorumUnreachable('no majority', ['n2']),
      HttpStatus.SERVICE_UNAVAILABLE,
      'Service Unavailable',
      [...SHAPE, 'mayHaveTakenEffect', 'unreachablePeers'],
    ],
    [
      ReplicationError.outcomeUnknown('accept lost', ['n3']),
      HttpStatus.SERVICE_UNAVAILABLE,
      'Service Unavailable',
      [...SHAPE, 'mayHaveTakenEffect', 'unreachablePeers'],
    ],
    [new AcceptorNotVotingError(), HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', SHAPE],
  ])('answers %p with %d in the one shape', (error, status, reason, fields) => {
    const { status: answered, body } = answer(error);
    expect(answered).toBe(status);
    expect(body).toEqual(
      expect.objectContaining({
        statusCode: status,
        error: reason,
        message: (error as Error).message,
        requestId: REQUEST_ID,
      }),
    );
    expect(Object.keys(body).sort()).toEqual([...fields].sort());
  });

  it("sends a domain error's headers: a deleted key's version on its 404, Retry-After on a refused wait", () => {
    expect(answer(new KeyNotFoundError('k', 3)).headers).toEqual({ 'X-Kv-Version': '3' });
    expect(answer(new KeyNotFoundError('k', 0)).headers).toEqual({}); // never written: no version to give
    expect(answer(new KeyNotFoundError('k')).headers).toEqual({});
    const refused = answer(new WaitRefusedError('TOO_MANY_WAITS', 'too many'));
    expect(refused.status).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(refused.headers).toEqual({ 'Retry-After': '1' });
    expect(refused.body).toEqual(expect.objectContaining({ unreachablePeers: [], mayHaveTakenEffect: false }));
    expect(answer(new BadRequestException('no')).headers).toEqual({});
  });

  it('says whether a 503 write may have taken effect, and who did not answer', () => {
    expect(answer(ReplicationError.outcomeUnknown('accept lost', ['n3'])).body).toEqual(
      expect.objectContaining({ mayHaveTakenEffect: true, unreachablePeers: ['n3'] }),
    );
    expect(answer(ReplicationError.quorumUnreachable('no majority', ['n2'])).body.mayHaveTakenEffect).toBe(false);
  });

  it('keeps the status and message of HTTP exceptions, validation lists joined', () => {
    expect(answer(new BadRequestException(['a is bad', 'b is bad']))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'a is bad; b is bad', requestId: REQUEST_ID },
      headers: {},
    });
    expect(answer(new NotFoundException('Cannot GET /x')).status).toBe(404);
  });

  it('answers anything unexpected with a 500 that leaks nothing, and logs it under the request id it gives the client', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const secret = new TypeError('connection to postgres://admin:hunter2@db failed');
      const { status, body } = answer(secret);
      expect(status).toBe(500);
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
        requestId: REQUEST_ID,
      });
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ requestId: REQUEST_ID }), secret.stack);
      // A code that merely looks like ours, or a 5xx status, is not a client error either.
      expect(answer(Object.assign(new Error('x'), { code: 'toString' })).status).toBe(500);
      expect(answer(Object.assign(new Error('x'), { kind: 'toString' })).status).toBe(500);
      expect(answer(Object.assign(new Error('db down'), { status: 502 })).status).toBe(500);
      expect(answer('a thrown string').status).toBe(500);
    } finally {
      logged.mockRestore();
    }
  });
});
