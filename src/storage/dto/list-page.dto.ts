import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ApiJsonValue } from './json-value.property';

@ApiSchema({ name: 'ListedItem' })
export class ListedItemDto {
  @ApiProperty()
  readonly key!: string;

  @ApiJsonValue('The value; left out with keysOnly=true', { required: false })
  readonly value?: unknown;

  @ApiProperty({ type: 'integer', minimum: 1 })
  readonly version!: number;

  /** RFC 3339, UTC; only on a key with a TTL. */
  @ApiPropertyOptional({ format: 'date-time', description: 'When the key expires; only on a key with a TTL' })
  readonly expiresAt?: string;
}

/** GET /kv-store/v1/kv: a page of present keys in byte order. */
@ApiSchema({ name: 'ListPage' })
export class ListPageDto {
  @ApiProperty({ type: [ListedItemDto] })
  readonly items!: ListedItemDto[];

  /** Where the next page starts; null once the range is done. */
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Pass it back as ?cursor= for the next page; null once the range is done',
  })
  readonly nextCursor!: string | null;
}
