import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ApiJsonValue } from './json-value.property';

const EXPIRES_AT = 'When the key expires: RFC 3339, UTC, with milliseconds; only on a key with a TTL';
const VERSION = 'Counts every write and delete of the key; the ETag is this number in quotes';

/** What the API returns for a key: never the storage row. */
@ApiSchema({ name: 'Entry' })
export class EntryDto {
  @ApiProperty()
  key!: string;

  @ApiJsonValue('The value, as it was written')
  value!: unknown;

  @ApiProperty({ type: 'integer', minimum: 1, description: VERSION })
  version!: number;

  /** RFC 3339, UTC, with milliseconds; only on a key with a TTL. */
  @ApiPropertyOptional({ format: 'date-time', description: EXPIRES_AT })
  expiresAt?: string;
}

/** One batch item that was written. */
@ApiSchema({ name: 'BatchItemWritten' })
export class BatchItemWrittenDto {
  @ApiProperty()
  key!: string;

  @ApiProperty({ enum: [200, 201], type: 'integer', description: '201 created, 200 replaced' })
  status!: 200 | 201;

  @ApiProperty({ type: 'integer', minimum: 1, description: VERSION })
  version!: number;

  @ApiPropertyOptional({ format: 'date-time', description: EXPIRES_AT })
  expiresAt?: string;
}

/** One batch item that was not written, with the error a single PUT would have answered. */
@ApiSchema({ name: 'BatchItemFailed' })
export class BatchItemFailedDto {
  @ApiProperty()
  key!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 400,
    maximum: 599,
    description: 'The status a PUT of this item alone would have had',
  })
  status!: number;

  @ApiProperty({ description: "The status's reason phrase" })
  error!: string;

  @ApiProperty()
  message!: string;
}

export type BatchItemResultDto = BatchItemWrittenDto | BatchItemFailedDto;

/** `{ expiresAt: "<RFC 3339 UTC>" }` for a key with an expiry, nothing for a permanent one: spread it into a response. */
export function expiryField(expiresAt: number | undefined): { expiresAt?: string } {
  return expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() };
}
