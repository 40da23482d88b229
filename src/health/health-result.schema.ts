import { ApiProperty, ApiSchema, SchemaObject } from '@nestjs/swagger';

/** One indicator's state, with what it reports (peers, quorum, database, ...). */
const INDICATORS = {
  type: 'object' as const,
  additionalProperties: <SchemaObject>{
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

/**
 * Terminus's answer (HealthCheckResult), as the health endpoints send it.
 * /kv-store/v1/health's details: `cluster` (nodeId, and each peer's url,
 * reachable, voting, lastRoundTripMs, lastSeenMsAgo, lastError), `database`,
 * `quorum` (clusterSize, needed, voting, thisNodeVotes, unreachable) and
 * `longPolls` (open, max).
 */
@ApiSchema({ name: 'HealthResult' })
export class HealthResultSchema {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status!: 'ok' | 'error' | 'shutting_down';

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are up' })
  info!: Record<string, unknown>;

  @ApiProperty({ ...INDICATORS, description: 'The indicators that are down' })
  error!: Record<string, unknown>;

  @ApiProperty({ ...INDICATORS, description: 'Every indicator' })
  details!: Record<string, unknown>;
}
