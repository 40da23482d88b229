import { Module } from '@nestjs/common';
import { AcceptorStore } from '../core/acceptor-store';
import { NodeMeta } from '../core/node-meta';
import { RegisterScanner } from '../recovery/register-scanner';
import { PgAcceptorStore } from './pg-acceptor-store';
import { PgNodeMeta } from './pg-node-meta';

/** Binds the persistence ports to their PostgreSQL implementations. */
@Module({
  providers: [
    PgAcceptorStore,
    { provide: AcceptorStore, useExisting: PgAcceptorStore },
    { provide: RegisterScanner, useExisting: PgAcceptorStore },
    { provide: NodeMeta, useClass: PgNodeMeta },
  ],
  exports: [AcceptorStore, RegisterScanner, NodeMeta],
})
export class PersistenceModule {}
