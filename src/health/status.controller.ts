import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RequestRates } from '../metrics/request-rates';
import { HealthChecks } from './health-checks';
import { renderStatusPage } from './status-page';
import { statusView } from './status-view';

/** The status page: what /kv-store/v1/health says, for a person, with the same status code. */
@Controller()
export class StatusController {
  constructor(
    private readonly checks: HealthChecks,
    private readonly rates: RequestRates,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('kv-store/v1/status')
  async status(@Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    const answer = await this.checks.cluster();
    if (!answer.healthy) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    res.header('content-type', 'text/html; charset=utf-8');
    res.header('cache-control', 'no-store');
    return renderStatusPage(statusView(this.config.nodeId, answer, this.rates.rates(), new Date()));
  }
}
