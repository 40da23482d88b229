import { BadRequestException, Body, Controller, HttpCode, HttpStatus, OnModuleInit, Post, UseGuards } from '@nestjs/common';
import { ClusterSecretGuard } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';
import { PeerChannels } from '../../peer-transport/peer-channels';
import { KvExecutor } from '../kv-executor';
import { encodeError, FORWARDED_OPS_METHOD, isKvOp, KvOp, KvOpResult } from './kv-ops';

/**
 * Runs operations that another node routed here because this node is their
 * key's preferred proposer. They run on this node's proposer and are never
 * routed again, so a disagreement about routing cannot make a loop. Peers
 * normally send them on the peer channel as method `kv/ops`.
 */
@Controller(`${PEER_API_PREFIX}/kv`)
@UseGuards(ClusterSecretGuard)
export class ForwardedOpsController implements OnModuleInit {
  constructor(
    private readonly executor: KvExecutor,
    private readonly channels: PeerChannels,
  ) {}

  onModuleInit(): void {
    this.channels.handle(FORWARDED_OPS_METHOD, (body) => this.ops(body));
  }

  @Post('ops') // = FORWARDED_OPS_METHOD under the peer API
  @HttpCode(HttpStatus.OK)
  async ops(@Body() body: unknown): Promise<{ results: KvOpResult[] }> {
    const { ops, timeoutMs } = parse(body);
    const deadline = Date.now() + timeoutMs;
    // Started together (and in order, so operations on one key apply in order) so the proposer batches their rounds.
    const settled = await Promise.allSettled(ops.map((op) => this.run(op, deadline)));
    return {
      results: settled.map((outcome): KvOpResult => {
        if (outcome.status === 'fulfilled') return outcome.value;
        const error = encodeError(outcome.reason);
        if (!error) throw outcome.reason;
        return { ok: false, error };
      }),
    };
  }

  private async run(op: KvOp, deadline: number): Promise<KvOpResult> {
    switch (op.type) {
      case 'put': {
        const { created, entry } = await this.executor.put(op.key, op.value, op.conditions, deadline);
        return { ok: true, created, version: entry.version };
      }
      case 'delete':
        await this.executor.delete(op.key, op.conditions, deadline);
        return { ok: true };
      case 'read': {
        const entry = await this.executor.get(op.key, 'linearizable', deadline);
        return { ok: true, value: entry.value, version: entry.version };
      }
    }
  }
}

function parse(body: unknown): { ops: KvOp[]; timeoutMs: number } {
  const { ops, timeoutMs } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(ops) || !ops.every(isKvOp)) throw new BadRequestException('ops must be a list of put, delete or read operations');
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= 600_000)) throw new BadRequestException('timeoutMs must be 1-600000');
  return { ops, timeoutMs };
}

