import { Controller, Get, HttpStatus, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Departure } from '../replication/routing/departure';
import { LongPollService } from '../storage/long-poll.service';
import { HealthResultSchema } from './health-result.schema';
import { PeersHealthIndicator } from './peers.health';
import { QuorumHealthIndicator } from './quorum.health';

const DATABASE_TIMEOUT_MS = 1000;
/** Probes may come every second from several places; one database ping a second serves them all. */
const DATABASE_CACHE_MS = 1000;

/**
 * Health in Terminus's JSON shape. `live` never depends on peers or the
 * database, so Kubernetes does not restart a healthy node during a partition;
 * `ready` and the cluster status are 503 when this node cannot serve quorum
 * operations, and from the moment a shutdown begins (the node is leaving: it
 * still serves during its drain period, so balancers can move away in time).
 */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly quorum: QuorumHealthIndicator,
    private readonly peers: PeersHealthIndicator,
    private readonly longPolls: LongPollService,
    private readonly departure: Departure,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process and its event loop answer (never looks at peers or the database)' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'The node is shutting down' })
  live(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return this.run(res, [
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: the database answers and a majority of acceptors are reachable and voting' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'Not ready, or shutting down' })
  ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return this.run(res, [() => this.databasePing(), () => this.quorum.check('quorum')]);
  }

  /** The origin system's path: the whole cluster as this node sees it. */
  @Get('kv-store/v1/health')
  @ApiOperation({
    summary: "The cluster as this node sees it: peers' reachability, voting and round-trip times, quorum, database",
  })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema, description: 'No quorum, or shutting down' })
  cluster(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return this.run(res, [
      () => this.peers.check('cluster'),
      () => this.databasePing(),
      () => this.quorum.check('quorum'),
      () => this.indicators.check('longPolls').up({ open: this.longPolls.open, max: this.config.maxLongPolls }),
    ]);
  }

  private databasePing() {
    return this.database.pingCheck('database').withTimeout(DATABASE_TIMEOUT_MS).cacheFor(DATABASE_CACHE_MS);
  }

  /** Terminus reports failure as a 503 exception carrying the result; answer with the result itself. */
  private async run(res: FastifyReply, checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    if (this.departure.leaving) {
      // Terminus's own answer while it shuts down, given from the start of the drain.
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'shutting_down', info: {}, error: {}, details: {} };
    }
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
