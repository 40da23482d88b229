import { ApiProperty, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { BatchItemFailedDto, BatchItemResultDto, BatchItemWrittenDto } from './entry.dto';

/** POST /kv-store/v1/kv/batch: one result per item, in the order of the items. */
@ApiSchema({ name: 'BatchResult' })
export class BatchResultDto {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(BatchItemWrittenDto) }, { $ref: getSchemaPath(BatchItemFailedDto) }] },
  })
  results!: BatchItemResultDto[];
}
