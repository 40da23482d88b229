import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { HealthAnswer, HealthChecks } from './health-checks';

/**
 * Health in Terminus's JSON shape. `live` never depends on peers or the
 * database, so Kubernetes does not restart a healthy node during a partition;
 * `ready` and the cluster status are 503 when this node cannot serve quorum
 * operations, and from the moment a shutdown begins.
 */
@Controller()
export class HealthController {
  constructor(private readonly checks: HealthChecks) {}

  @Get('health/live')
  async live(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.live());
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.ready());
  }

  /** The origin system's path: the whole cluster as this node sees it. */
  @Get('kv-store/v1/health')
  async cluster(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.cluster());
  }
}

function answer(res: FastifyReply, { healthy, result }: HealthAnswer): HealthCheckResult {
  if (!healthy) res.status(HttpStatus.SERVICE_UNAVAILABLE);
  return result;
}
