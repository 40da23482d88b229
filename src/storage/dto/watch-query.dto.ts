import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

/** GET /kv-store/v1/watch: the query string of a watch. The prefix's text is checked by the controller. */
export class WatchQueryDto {
  @ApiPropertyOptional({ description: 'Changes of keys that start with this text; none: every key' })
  @IsOptional()
  @IsString()
  prefix?: string;
}
