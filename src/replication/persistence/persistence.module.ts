import { Module } from '@nestjs/common';
import { AcceptorStore } from '../core/acceptor-store';
import { NodeMeta } from '../core/node-meta';
import { RegisterScanner } from '../recovery/register-scanner';
import { PgAcceptorStore } from './pg-acceptor-store';
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
  ],
  exports: [AcceptorStore, RegisterScanner, NodeMeta, FeedStore],
})
export class PersistenceModule {}
