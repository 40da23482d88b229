import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

export const CLUSTER_AUTH_SCHEME = 'Bearer';

/**
 * The peer API is for cluster members only: a request must carry
 * `Authorization: Bearer <CLUSTER_SECRET>`. A node without peers has no secret
 * and refuses every peer request.
 */
@Injectable()
export class ClusterSecretGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.clusterSecret) this.expected = digest(`${CLUSTER_AUTH_SCHEME} ${config.clusterSecret}`);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    // Comparing fixed-length digests in constant time leaks neither content nor length.
    if (!this.expected || !header || !timingSafeEqual(digest(header), this.expected)) {
      throw new UnauthorizedException('peer API: missing or wrong cluster secret');
    }
    return true;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
