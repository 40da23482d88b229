import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsString, MinLength, ValidateNested } from 'class-validator';
import { IsPresent } from './is-present.decorator';
import { IsTtlSeconds, MAX_TTL_SECONDS } from './is-ttl-seconds.decorator';
import { ApiJsonValue } from './json-value.property';

@ApiSchema({ name: 'BatchItem' })
export class BatchItemDto {
  @ApiProperty({ minLength: 1, description: 'The key, as text (not percent-encoded)' })
  @IsString()
  @MinLength(1)
  key!: string;

  @ApiJsonValue('Any JSON value, null included')
  @IsPresent()
  value!: unknown;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_TTL_SECONDS, description: 'As for a PUT' })
  @IsTtlSeconds()
  ttlSeconds?: number;
}

@ApiSchema({ name: 'BatchRequest' })
export class BatchPutDto {
  @ApiProperty({ type: [BatchItemDto], minItems: 1, description: 'Each item is its own quorum write, in order' })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => BatchItemDto)
  items!: BatchItemDto[];
}
