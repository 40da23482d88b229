import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, Matches, ValidateIf } from 'class-validator';

/** 1 to 300, no sign, no leading zero. */
const WAIT_SECONDS = /^(?:[1-9]|[1-9][0-9]|[12][0-9]{2}|300)$/;
/** 0 or more, no sign, no leading zero; 15 digits stay below 2^53, where versions are exact. */
const VERSION = /^(?:0|[1-9][0-9]{0,14})$/;

export class GetQueryDto {
  @ApiPropertyOptional({
    enum: ['linearizable', 'local'],
    description: "local: this node's copy only, no quorum: faster, but possibly stale or never acknowledged",
  })
  @IsOptional()
  @IsIn(['linearizable', 'local'], { message: 'consistency must be "linearizable" (default) or "local"' })
  consistency?: 'linearizable' | 'local';

  /** A long poll: answer once the version is above afterVersion, or after this many seconds. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 300,
    description: 'A long poll: answer as soon as the version is above afterVersion, or after this many seconds',
  })
  @ValidateIf((query: GetQueryDto) => query.waitSeconds !== undefined || query.afterVersion !== undefined)
  @IsDefined({ message: 'afterVersion needs waitSeconds (a long poll: ?waitSeconds=1-300&afterVersion=<version>)' })
  @Matches(WAIT_SECONDS, { message: 'waitSeconds must be a whole number from 1 to 300' })
  waitSeconds?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'With waitSeconds: the version last seen (0 waits for the first write)',
  })
  @IsOptional()
  @Matches(VERSION, { message: 'afterVersion must be a whole number from 0 (a version)' })
  afterVersion?: string;
}
