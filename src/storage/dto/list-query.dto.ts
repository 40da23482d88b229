import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

/** GET /kv-store/v1/kv: the query string of a listing. Combinations are checked by list-request.ts. */
export class ListQueryDto {
  @ApiPropertyOptional({ description: 'Keys that start with this text (not with start or end)' })
  @IsOptional()
  @IsString()
  prefix?: string;

  @ApiPropertyOptional({ description: 'The first key of the range (inclusive)' })
  @IsOptional()
  @IsString()
  start?: string;

  @ApiPropertyOptional({ description: 'The end of the range (exclusive)' })
  @IsOptional()
  @IsString()
  end?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'Items per page at most',
  })
  @IsOptional()
  @Matches(/^[0-9]{1,7}$/, { message: 'limit must be a whole number from 1 to 1000' })
  limit?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: items without their value' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'keysOnly must be "true" or "false"' })
  keysOnly?: 'true' | 'false';

  @ApiPropertyOptional({
    enum: ['linearizable', 'local'],
    description: "local: this node's copy only, possibly stale",
  })
  @IsOptional()
  @IsIn(['linearizable', 'local'], { message: 'consistency must be "linearizable" (default) or "local"' })
  consistency?: 'linearizable' | 'local';
}
