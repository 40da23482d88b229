import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsString, MinLength, ValidateNested } from 'class-validator';
import { IsPresent } from './is-present.decorator';
import { IsTtlSeconds } from './is-ttl-seconds.decorator';

export class BatchItemDto {
  @IsString()
  @MinLength(1)
  key!: string;

  @IsPresent()
  value!: unknown;

  @IsTtlSeconds()
  ttlSeconds?: number;
}

export class BatchPutDto {
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => BatchItemDto)
  items!: BatchItemDto[];
}
