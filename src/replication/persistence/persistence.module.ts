import { Module } from '@nestjs/common';
import { AcceptorStore } from '../core/acceptor-store';
import { NodeMeta } from '../core/node-meta';
import { CatchUpStaging } from '../recovery/catch-up-staging';
import { RegisterScanner } from '../recovery/register-scanner';
import { PgAcceptorStore } from './pg-acceptor-store';
import { PgCatchUpStaging } from './pg-catch-up-staging';
import { PgNodeMeta } from './pg-node-meta';
import { FeedStore } from '../core/feed-store';
import { PgFeedStore } from './pg-feed-store';

/** Binds the persistence ports to their PostgreSQL implementations. */
@Module({
  providers: [
    PgAcceptorStore,
    { provide: AcceptorStore, useExisting: PgAcceptorStore },
    { provide: RegisterScanner, useExisting: PgAcceptorStore },
    { provide: NodeMeta, useClass: PgNodeMeta },
    { provide: FeedStore, useClass: PgFeedStore },
    { provide: CatchUpStaging, useClass: PgCatchUpStaging },
  ],
  exports: [AcceptorStore, RegisterScanner, NodeMeta, FeedStore, CatchUpStaging],
})
export class PersistenceModule {}
