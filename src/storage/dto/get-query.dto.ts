import { IsIn, IsOptional } from 'class-validator';

export class GetQueryDto {
  @IsOptional()
  @IsIn(['linearizable', 'local'], { message: 'consistency must be "linearizable" (default) or "local"' })
  consistency?: 'linearizable' | 'local';
}
