import { IsPresent } from './is-present.decorator';
import { IsTtlSeconds } from './is-ttl-seconds.decorator';

export class PutValueDto {
  @IsPresent()
  value!: unknown;

  /** The key expires this many seconds after the write; without it the key is permanent. */
  @IsTtlSeconds()
  ttlSeconds?: number;
}
