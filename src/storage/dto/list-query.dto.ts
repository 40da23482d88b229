import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

/** GET /kv-store/v1/kv: the query string of a listing. Combinations are checked by list-request.ts. */
export class ListQueryDto {
  @IsOptional()
  @IsString()
  prefix?: string;

  @IsOptional()
  @IsString()
  start?: string;

  @IsOptional()
  @IsString()
  end?: string;

  @IsOptional()
  @Matches(/^[0-9]{1,7}$/, { message: 'limit must be a whole number from 1 to 1000' })
  limit?: string;

  @IsOptional()
  @IsString()
  cursor?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'keysOnly must be "true" or "false"' })
  keysOnly?: 'true' | 'false';

  @IsOptional()
  @IsIn(['linearizable', 'local'], { message: 'consistency must be "linearizable" (default) or "local"' })
  consistency?: 'linearizable' | 'local';
}
