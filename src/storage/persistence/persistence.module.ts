import { Module } from '@nestjs/common';
import { AcceptorStore } from '../../replication/core/acceptor-store';
import { RegisterScanner } from '../../replication/recovery/register-scanner';
import { NodeMetaRepository } from './node-meta.repository';
import { PgAcceptorStore } from './pg-acceptor-store';

/** Binds the persistence ports to their PostgreSQL implementations. */
@Module({
  providers: [
    PgAcceptorStore,
    { provide: AcceptorStore, useExisting: PgAcceptorStore },
    { provide: RegisterScanner, useExisting: PgAcceptorStore },
    NodeMetaRepository,
  ],
  exports: [AcceptorStore, RegisterScanner, NodeMetaRepository],
})
export class PersistenceModule {}
