import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { HealthCheckResult } from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { HealthAnswer, HealthChecks } from './health-checks';
import { HealthResultSchema } from './health-result.schema';

/**
 * Health in Terminus's JSON shape. `live` never depends on peers or the
 * database, so Kubernetes does not restart a healthy node during a partition;
 * `ready` and the cluster status are 503 when this node cannot serve quorum
 * operations, and from the moment a shutdown begins.
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(private readonly checks: HealthChecks) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process and its event loop answer (never looks at peers or the database)' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'The node is shutting down' })
  async live(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.live());
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: the database answers and a majority of acceptors are reachable and voting' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'Not ready, or shutting down' })
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.ready());
  }

  /** The origin system's path: the whole cluster as this node sees it. */
  @Get('kv-store/v1/health')
  @ApiOperation({
    summary: "The cluster as this node sees it: peers' reachability, voting and round-trip times, quorum, database",
  })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'No quorum, or shutting down' })
  async cluster(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return answer(res, await this.checks.cluster());
  }
}

function answer(res: FastifyReply, { healthy, result }: HealthAnswer): HealthCheckResult {
  if (!healthy) res.status(HttpStatus.SERVICE_UNAVAILABLE);
  return result;
}
