import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ClusterSecretGuard } from '../../replication/peer-api/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../replication/peer-api/peer.controller';
import { KvExecutor } from '../kv-executor';
import { encodeError, isKvWrite, KvWrite, KvWriteResult } from './kv-ops';

/**
 * Runs writes that another node routed here because this node is their key's
 * preferred proposer. They run on this node's proposer and are never routed
 * again, so a disagreement about routing cannot make a loop.
 */
@Controller(`${PEER_API_PREFIX}/kv`)
@UseGuards(ClusterSecretGuard)
export class ForwardedWritesController {
  constructor(private readonly executor: KvExecutor) {}

  @Post('writes')
  @HttpCode(HttpStatus.OK)
  async writes(@Body() body: unknown): Promise<{ results: KvWriteResult[] }> {
    const { writes, timeoutMs } = parse(body);
    const deadline = Date.now() + timeoutMs;
    // Started together (and in order, so writes to one key apply in order) so the proposer batches their rounds.
    const settled = await Promise.allSettled(writes.map((write) => this.run(write, deadline)));
    return {
      results: settled.map((outcome): KvWriteResult => {
        if (outcome.status === 'fulfilled') return outcome.value;
        const error = encodeError(outcome.reason);
        if (!error) throw outcome.reason;
        return { ok: false, error };
      }),
    };
  }

  private async run(write: KvWrite, deadline: number): Promise<KvWriteResult> {
    if (write.type === 'put') {
      const { created, entry } = await this.executor.put(write.key, write.value, write.conditions, deadline);
      return { ok: true, created, version: entry.version };
    }
    await this.executor.delete(write.key, write.conditions, deadline);
    return { ok: true };
  }
}

function parse(body: unknown): { writes: KvWrite[]; timeoutMs: number } {
  const { writes, timeoutMs } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(writes) || !writes.every(isKvWrite)) throw new BadRequestException('writes must be a list of put/delete writes');
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= 600_000)) throw new BadRequestException('timeoutMs must be 1-600000');
  return { writes, timeoutMs };
}
