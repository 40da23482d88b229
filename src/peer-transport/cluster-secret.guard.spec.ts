import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { describeError } from '../common/error-body';
import { loadConfig } from '../config/app-config';
import { ClusterSecretGuard, clusterSecretCheck } from './cluster-secret.guard';

const SECRET = 'the-cluster-secret-0123456789';

/** A request as the guard sees it: only its headers matter. */
function requestWith(headers: Record<string, string>): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ headers }) }) } as unknown as ExecutionContext;
}

/** What the guard did with the request: let it through, or the error it threw. */
function verdict(guard: ClusterSecretGuard, headers: Record<string, string>): unknown {
  try {
    return guard.canActivate(requestWith(headers));
  } catch (error) {
    return error;
  }
}

describe('ClusterSecretGuard', () => {
  const guard = new ClusterSecretGuard(loadConfig({ NODE_ID: 'n1', PEERS: 'n2=http://n2:1', CLUSTER_SECRET: SECRET }));

  it('lets a request with "Bearer <secret>" through', () => {
    expect(verdict(guard, { authorization: `Bearer ${SECRET}` })).toBe(true);
  });

  it.each([
    ['no Authorization header', {}],
    ['an empty Authorization header', { authorization: '' }],
    ['the secret without a scheme', { authorization: SECRET }],
    ['the secret under another scheme', { authorization: `Basic ${SECRET}` }],
    ['a wrong secret of the same length', { authorization: `Bearer ${SECRET.slice(0, -1)}X` }],
    ['a prefix of the secret', { authorization: `Bearer ${SECRET.slice(0, 8)}` }],
    ['the secret with more after it', { authorization: `Bearer ${SECRET}x` }],
    ['the scheme alone', { authorization: 'Bearer ' }],
  ])('refuses %s with a 401 in the one error shape', (_case, headers) => {
    const refusal = verdict(guard, headers);
    // A 401, not a crash of the comparison (timingSafeEqual throws on inputs of different lengths).
    expect(refusal).toBeInstanceOf(UnauthorizedException);
    expect(describeError(refusal)).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'peer API: missing or wrong cluster secret',
    });
  });

  it('refuses everything on a node without a secret (a node without peers), even "Bearer " with nothing after it', () => {
    const lonely = new ClusterSecretGuard(loadConfig({ NODE_ID: 'n1' }));
    for (const authorization of ['Bearer ', 'Bearer undefined', `Bearer ${SECRET}`]) {
      expect(verdict(lonely, { authorization })).toBeInstanceOf(UnauthorizedException);
    }
    expect(verdict(lonely, {})).toBeInstanceOf(UnauthorizedException);
  });
});

describe('clusterSecretCheck', () => {
  it('accepts exactly "Bearer <secret>"', () => {
    const check = clusterSecretCheck(SECRET);
    expect(check(`Bearer ${SECRET}`)).toBe(true);
    expect(check(`Bearer ${SECRET} `)).toBe(false);
    expect(check(` Bearer ${SECRET}`)).toBe(false);
    expect(check(undefined)).toBe(false);
  });

  it('is always false without a secret, including an empty one', () => {
    for (const secret of [undefined, '']) {
      const check = clusterSecretCheck(secret);
      expect(check('Bearer ')).toBe(false);
      expect(check(undefined)).toBe(false);
    }
  });
});
