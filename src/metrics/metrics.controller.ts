import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Metrics } from './metrics';

/**
 * Prometheus's scrape target, beside the health endpoints (not under the peer
 * API, and without the cluster secret: Prometheus scrapes like a load balancer
 * probes). It tells what the health endpoints tell and no more: counts and
 * states, never a key, a value or the secret.
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) res: FastifyReply): Promise<string> {
    res.header('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
