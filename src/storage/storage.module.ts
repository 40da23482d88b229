import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Metrics } from '../metrics/metrics';
import { PeerChannels } from '../peer-transport/peer-channels';
import { PeerTransportModule } from '../peer-transport/peer-transport.module';
import { ReplicationModule } from '../replication/replication.module';
import { ForwardedOpsController } from './forwarding/forwarded-ops.controller';
import { ForwardingClient } from './forwarding/forwarding-client';
import { KvExecutor } from './kv-executor';
import { KvController } from './kv.controller';
import { KvListingService } from './kv-listing.service';
import { FORWARDING_CLIENTS, KvService } from './kv.service';
import { LongPollService } from './long-poll.service';
import { RequestLimits } from './request-limits';
import { WatchController } from './watch.controller';
import { WatchStreams } from './watch/watch-streams';

@Module({
  imports: [ReplicationModule, PeerTransportModule],
  controllers: [KvController, WatchController, ForwardedOpsController],
  providers: [
    KvExecutor,
    KvService,
    KvListingService,
    LongPollService,
    RequestLimits,
    WatchStreams,
    {
      provide: FORWARDING_CLIENTS,
      // Metrics come from the global MetricsModule; an app built without it counts nothing.
      inject: [APP_CONFIG, PeerChannels, { token: Metrics, optional: true }],
      useFactory: (config: AppConfig, channels: PeerChannels, metrics: Metrics | undefined) =>
        config.peers.map((peer) => new ForwardingClient(peer, channels.to(peer), metrics?.forwardedOpsBatched)),
    },
  ],
  exports: [LongPollService],
})
export class StorageModule {}
