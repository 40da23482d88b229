import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ReplicationModule } from '../replication/replication.module';
import { StorageModule } from '../storage/storage.module';
import { HealthController } from './health.controller';
import { PeersHealthIndicator } from './peers.health';
import { QuorumHealthIndicator } from './quorum.health';

/** How long readiness reports "shutting_down" before the server stops taking connections. */
export const SHUTDOWN_DRAIN_MS = 3000;

@Module({
  imports: [
    // Failed checks are expected during partitions; the peer monitor logs the changes once.
    TerminusModule.forRoot({ logger: false, gracefulShutdownTimeoutMs: SHUTDOWN_DRAIN_MS }),
    ReplicationModule,
    StorageModule,
  ],
  controllers: [HealthController],
  providers: [QuorumHealthIndicator, PeersHealthIndicator],
})
export class HealthModule {}
