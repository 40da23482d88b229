import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Departure } from '../replication/routing/departure';
import { LongPollService } from '../storage/long-poll.service';
import { PeersHealthIndicator } from './peers.health';
import { QuorumHealthIndicator } from './quorum.health';

const DATABASE_TIMEOUT_MS = 1000;
/** Probes may come every second from several places; one database ping a second serves them all. */
const DATABASE_CACHE_MS = 1000;

/** A check's result in Terminus's shape, and whether it is healthy (a 200) or not (a 503). */
export interface HealthAnswer {
  readonly healthy: boolean;
  readonly result: HealthCheckResult;
}

/**
 * The health checks, run for the JSON endpoints (HealthController) and the
 * status page (StatusController) alike, so the page shows what the JSON says.
 * From the moment a shutdown begins every check answers "shutting_down": the
 * node still serves during its drain period, so balancers can move away in time.
 */
@Injectable()
export class HealthChecks {
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

  live(): Promise<HealthAnswer> {
    return this.run([
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  ready(): Promise<HealthAnswer> {
    return this.run([() => this.databasePing(), () => this.quorum.check('quorum')]);
  }

  /** The whole cluster as this node sees it. */
  cluster(): Promise<HealthAnswer> {
    return this.run([
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
  private async run(checks: HealthIndicatorFunction[]): Promise<HealthAnswer> {
    if (this.departure.leaving) {
      // Terminus's own answer while it shuts down, given from the start of the drain.
      return { healthy: false, result: { status: 'shutting_down', info: {}, error: {}, details: {} } };
    }
    try {
      return { healthy: true, result: await this.health.check(checks) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { healthy: false, result: error.getResponse() as HealthCheckResult };
    }
  }
}
