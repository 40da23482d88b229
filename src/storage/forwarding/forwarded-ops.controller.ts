import { ApiExcludeController } from '@nestjs/swagger';
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Logger,
  OnModuleInit,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ClusterSecretGuard } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';
import { PeerChannels } from '../../peer-transport/peer-channels';
import { KvExecutor } from '../kv-executor';
import { ForwardableOperation, parseForwardedOperation } from '../kv-operation';
import { EncodedError, encodeError, FORWARDED_OPS_METHOD, requestIdOfWire, WireResult } from './kv-ops';

/**
 * Runs operations that another node routed here because this node is their
 * key's preferred proposer. They run on this node's proposer and are never
 * routed again, so a disagreement about routing cannot make a loop. Peers
 * normally send them on the peer channel as method `kv/ops`.
 */
// Between nodes only: not part of the client API's OpenAPI document.
@ApiExcludeController()
@Controller(`${PEER_API_PREFIX}/kv`)
@UseGuards(ClusterSecretGuard)
export class ForwardedOpsController implements OnModuleInit {
  private readonly logger = new Logger(ForwardedOpsController.name);

  constructor(
    private readonly executor: KvExecutor,
    private readonly channels: PeerChannels,
  ) {}

  onModuleInit(): void {
    this.channels.handle(FORWARDED_OPS_METHOD, (body) => this.ops(body));
  }

  @Post('ops') // = FORWARDED_OPS_METHOD under the peer API
  @HttpCode(HttpStatus.OK)
  async ops(@Body() body: unknown): Promise<{ results: WireResult[] }> {
    const { ops, requestIds, timeoutMs } = parse(body);
    const started = Date.now();
    const deadline = started + timeoutMs;
    // Started together (and in order, so operations on one key apply in order) so the proposer batches their rounds.
    const settled = await Promise.allSettled(ops.map((op) => this.executor.execute(op, deadline)));
    const durationMs = Date.now() - started;
    return {
      results: settled.map((outcome, index): WireResult => {
        const result: WireResult =
          outcome.status === 'fulfilled'
            ? { ok: true, ...outcome.value }
            : { ok: false, error: encodeError(outcome.reason) ?? this.unexpected(outcome.reason, requestIds[index]) };
        this.logRun(ops[index]!, requestIds[index], result, durationMs);
        return result;
      }),
    };
  }

  /**
   * One debug line per operation, under the id of the client request it serves
   * on the node that forwarded it: the link between the two nodes' logs. The
   * operation's kind and outcome only, never its key or value.
   */
  private logRun(
    op: ForwardableOperation,
    requestId: string | undefined,
    result: WireResult,
    durationMs: number,
  ): void {
    this.logger.debug({
      msg: 'ran a forwarded operation',
      requestId: requestId ?? null,
      op: op.type,
      outcome: result.ok ? 'ok' : result.error.code,
      durationMs,
    });
  }

  /**
   * A failure that is not a domain error (a bug, a database that went away)
   * belongs to its own operation: failing the whole request would turn the
   * definite results of the others into unknown outcomes at the sender. Its
   * own outcome is unknown: a write may have been stored before it failed.
   */
  private unexpected(reason: unknown, requestId: string | undefined): EncodedError {
    this.logger.error({
      msg: `forwarded operation failed: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
      requestId: requestId ?? null,
    });
    return {
      code: 'OUTCOME_UNKNOWN',
      message: "the operation failed on the key's preferred node; it may have taken effect",
    };
  }
}

function parse(body: unknown): {
  ops: ForwardableOperation[];
  requestIds: Array<string | undefined>;
  timeoutMs: number;
} {
  const { ops, timeoutMs } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const parsed = Array.isArray(ops) ? ops.map(parseForwardedOperation) : [];
  if (!Array.isArray(ops) || !parsed.every((op) => op !== undefined)) {
    throw new BadRequestException('ops must be a list of put, delete or read operations');
  }
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= 600_000))
    throw new BadRequestException('timeoutMs must be 1-600000');
  return { ops: parsed, requestIds: ops.map(requestIdOfWire), timeoutMs };
}
