import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReplicationModule } from '../replication/replication.module';
import { StorageModule } from '../storage/storage.module';
import { HealthController } from './health.controller';
import { PeersHealthIndicator } from './peers.health';
import { QuorumHealthIndicator } from './quorum.health';

@Module({
  imports: [
    // Failed checks are expected during partitions; the peer monitor logs the changes once.
    // No graceful-shutdown timeout here: main.ts drains (Departure, then the drain period) before it closes the app.
    TerminusModule.forRoot({ logger: false }),
    ReplicationModule,
    StorageModule,
  ],
  controllers: [HealthController],
  providers: [QuorumHealthIndicator, PeersHealthIndicator],
})
export class HealthModule {}
