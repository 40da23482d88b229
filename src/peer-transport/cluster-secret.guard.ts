import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const CLUSTER_AUTH_SCHEME = 'Bearer';

/**
 * The peer API is for cluster members only: a request must carry
 * `Authorization: Bearer <CLUSTER_SECRET>`. A node without peers has no secret
 * and refuses every peer request.
 */
@Injectable()
export class ClusterSecretGuard implements CanActivate {
  private readonly authorized: (header: string | undefined) => boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.authorized = clusterSecretCheck(config.clusterSecret);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.authorized(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization)) {
      throw new UnauthorizedException('peer API: missing or wrong cluster secret');
    }
    return true;
  }
}

/** Whether an Authorization header carries the cluster secret; always false without a secret. */
export function clusterSecretCheck(secret: string | undefined): (header: string | undefined) => boolean {
  if (!secret) return () => false;
  const expected = digest(`${CLUSTER_AUTH_SCHEME} ${secret}`);
  // Comparing fixed-length digests in constant time leaks neither content nor length.
  return (header) => header !== undefined && timingSafeEqual(digest(header), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
