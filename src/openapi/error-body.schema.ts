import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/** The OpenAPI description of src/common/error-body.ts: the one shape of every 4xx and 5xx answer. */
@ApiSchema({ name: 'ErrorBody' })
export class ErrorBodySchema {
  @ApiProperty({ type: 'integer', description: 'The HTTP status, repeated', example: 412 })
  statusCode!: number;

  @ApiProperty({ description: "The status's reason phrase", example: 'Precondition Failed' })
  error!: string;

  @ApiProperty({ description: 'What went wrong, for people' })
  message!: string;

  @ApiProperty({ description: 'The id of the request (as in X-Request-Id): its log lines carry it' })
  requestId!: string;

  @ApiPropertyOptional({
    type: [String],
    description: '503 only: the peers this node could not reach',
  })
  unreachablePeers?: string[];

  @ApiPropertyOptional({
    description:
      '503 only: true when the write may still be applied (retrying it blindly may apply it twice); ' +
      'false when it certainly was not',
  })
  mayHaveTakenEffect?: boolean;
}
