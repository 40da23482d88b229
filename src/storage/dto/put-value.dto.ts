import { IsPresent } from './is-present.decorator';

export class PutValueDto {
  @IsPresent()
  value!: unknown;
}
