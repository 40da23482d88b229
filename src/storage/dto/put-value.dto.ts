import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsTtlSeconds, MAX_TTL_SECONDS } from './is-ttl-seconds.decorator';
import { ApiJsonValue } from './json-value.property';
import { IsPresent } from './is-present.decorator';

@ApiSchema({ name: 'PutRequest' })
export class PutValueDto {
  @ApiJsonValue('Any JSON value, null included')
  @IsPresent()
  value!: unknown;

  /** The key expires this many seconds after the write; without it the key is permanent. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_TTL_SECONDS,
    description: 'The key expires this many seconds after the write; without it the key is permanent',
  })
  @IsTtlSeconds()
  ttlSeconds?: number;
}
