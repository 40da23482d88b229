import { Global, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ReplicationObserver } from '../replication/core/replication-observer';
import { ReplicationModule } from '../replication/replication.module';
import { ClusterGauges } from './cluster-gauges';
import { HttpMetrics } from './http-metrics';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { PrometheusReplicationObserver } from './prometheus-replication-observer';
import { RequestRates } from './request-rates';

/** How often the status page's request rates take a sample of the totals. */
const RATE_SAMPLE_MS = 5_000;

/**
 * `GET /metrics`, and everything that feeds it. Global, so that the
 * replication module takes its ReplicationObserver from here without
 * importing it (it imports the replication module, for the state it reads).
 */
@Global()
@Module({
  imports: [ReplicationModule],
  controllers: [MetricsController],
  providers: [
    { provide: Metrics, useFactory: () => new Metrics() },
    { provide: RequestRates, useFactory: () => new RequestRates() },
    { provide: ReplicationObserver, useClass: PrometheusReplicationObserver },
    HttpMetrics,
    ClusterGauges,
  ],
  exports: [Metrics, RequestRates, ReplicationObserver],
})
export class MetricsModule implements OnModuleInit, OnApplicationShutdown {
  private sampler?: NodeJS.Timeout;

  constructor(private readonly rates: RequestRates) {}

  onModuleInit(): void {
    this.rates.sample();
    this.sampler = setInterval(() => this.rates.sample(), RATE_SAMPLE_MS);
    this.sampler.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sampler);
  }
}
