import { Module } from '@nestjs/common';
import { AcceptorStore } from '../../replication/core/acceptor-store';
import { NodeMetaRepository } from './node-meta.repository';
import { PgAcceptorStore } from './pg-acceptor-store';

/** Binds the persistence ports to their PostgreSQL implementations. */
@Module({
  providers: [{ provide: AcceptorStore, useClass: PgAcceptorStore }, NodeMetaRepository],
  exports: [AcceptorStore, NodeMetaRepository],
})
export class PersistenceModule {}
