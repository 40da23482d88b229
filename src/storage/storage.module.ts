import { Module } from '@nestjs/common';
import { ReplicationModule } from '../replication/replication.module';
import { KvController } from './kv.controller';
import { KvService } from './kv.service';
import { RequestLimits } from './request-limits';

@Module({
  imports: [ReplicationModule],
  controllers: [KvController],
  providers: [KvService, RequestLimits],
})
export class StorageModule {}
