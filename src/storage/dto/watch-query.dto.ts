import { IsOptional, IsString } from 'class-validator';

/** GET /kv-store/v1/watch: the query string of a watch. The prefix's text is checked by the controller. */
export class WatchQueryDto {
  @IsOptional()
  @IsString()
  prefix?: string;
}
