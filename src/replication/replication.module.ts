import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { NodeMetaRepository } from '../storage/persistence/node-meta.repository';
import { PersistenceModule } from '../storage/persistence/persistence.module';
import { AcceptorStore } from './core/acceptor-store';
import { BallotClock } from './core/ballot';
import { LocalAcceptorClient } from './core/local-acceptor-client';
import { Proposer } from './core/proposer';
import { Registers } from './registers';
import { ReplicationService } from './replication.service';

@Module({
  imports: [PersistenceModule],
  providers: [
    {
      provide: BallotClock,
      inject: [APP_CONFIG, NodeMetaRepository],
      useFactory: async (config: AppConfig, meta: NodeMetaRepository) => new BallotClock(config.nodeId, await meta.nextBoot()),
    },
    {
      provide: Proposer,
      inject: [APP_CONFIG, BallotClock, AcceptorStore],
      useFactory: (config: AppConfig, clock: BallotClock, store: AcceptorStore) =>
        new Proposer({ clock, acceptors: [new LocalAcceptorClient(config.nodeId, store)] }),
    },
    { provide: Registers, useClass: ReplicationService },
  ],
  exports: [Registers],
})
export class ReplicationModule {}
