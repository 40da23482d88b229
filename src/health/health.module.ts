import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReplicationModule } from '../replication/replication.module';
import { StorageModule } from '../storage/storage.module';
import { HealthChecks } from './health-checks';
import { HealthController } from './health.controller';
import { PeersHealthIndicator } from './peers.health';
import { QuorumHealthIndicator } from './quorum.health';
import { StatusController } from './status.controller';

@Module({
  imports: [
    // Failed checks are expected during partitions; the peer monitor logs the changes once.
    // No graceful-shutdown timeout here: main.ts drains (Departure, then the drain period) before it closes the app.
    TerminusModule.forRoot({ logger: false }),
    ReplicationModule,
    StorageModule,
  ],
  controllers: [HealthController, StatusController],
  providers: [QuorumHealthIndicator, PeersHealthIndicator, HealthChecks],
})
export class HealthModule {}
