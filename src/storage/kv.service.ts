import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { currentRequestId } from '../common/request-context';
import { ReplicationError } from '../replication/core/errors';
import { KeyRouter } from '../replication/routing/key-router';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';
import { ForwardingClient, NotDeliveredError } from './forwarding/forwarding-client';
import { KvExecutor } from './kv-executor';
import { ForwardableOperation, ReadResult, ResultOf } from './kv-operation';
import { Preconditions } from './preconditions';

export const FORWARDING_CLIENTS = Symbol('FORWARDING_CLIENTS');

export interface Entry {
  readonly key: string;
  readonly value: unknown;
  readonly version: number;
  /** ms since the epoch; only for a key with a TTL. */
  readonly expiresAt?: number;
}

export interface PutItem {
  readonly key: string;
  readonly value: unknown;
  /** Without it the key becomes permanent. */
  readonly ttlSeconds?: number;
}

export interface PutOutcome {
  readonly entry: Entry;
  readonly created: boolean;
}

export type Consistency = 'linearizable' | 'local';

/**
 * What the controller calls. Every operation runs through KvExecutor.execute:
 * here, or on the node its key's router prefers. Writes run on their key's
 * preferred proposer, so that each key keeps one proposer and its writes take
 * the one-round-trip path instead of competing for ballots.
 */
@Injectable()
export class KvService {
  private readonly forwarders: Map<string, ForwardingClient>;
  private readonly logger = new Logger(KvService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly executor: KvExecutor,
    private readonly router: KeyRouter,
    private readonly health: PeerHealthMonitor,
    @Inject(FORWARDING_CLIENTS) forwarders: ForwardingClient[],
  ) {
    this.forwarders = new Map(forwarders.map((client) => [client.peer.id, client]));
  }

  /**
   * Reads are answered here when a majority agree at once (the common case:
   * one round trip). Otherwise they need a full round, which runs on the
   * key's preferred proposer like a write, so that readers on other nodes do
   * not compete with it for ballots.
   */
  async get(key: string, consistency: Consistency = 'linearizable'): Promise<Entry> {
    if (consistency === 'local')
      return entryOf(key, await this.executor.execute({ type: 'read', key, consistency: 'local' }));
    const deadline = this.deadline();
    const agreed = await this.executor.execute({ type: 'read', key, consistency: 'if-agreed' }, deadline);
    if (agreed.type === 'read') return entryOf(key, agreed);
    return entryOf(key, await this.run({ type: 'read', key, consistency: 'linearizable' }, deadline));
  }

  /** `ttlSeconds` gives the key a TTL; without it the key becomes permanent. */
  async put(key: string, value: unknown, conditions: Preconditions = {}, ttlSeconds?: number): Promise<PutOutcome> {
    const op = { type: 'put', key, value, conditions, ...(ttlSeconds !== undefined && { ttlSeconds }) } as const;
    const { created, version, expiresAt } = await this.run(op, this.deadline());
    return { entry: { key, value, version, ...(expiresAt !== undefined && { expiresAt }) }, created };
  }

  async delete(key: string, conditions: Preconditions = {}): Promise<void> {
    await this.run({ type: 'delete', key, conditions }, this.deadline());
  }

  /**
   * Each item is its own quorum write, all started together so the replication
   * layer can carry them in shared peer requests. Items for the same key apply
   * in the order given. One item's failure does not undo the others.
   */
  putMany(items: readonly PutItem[]): Promise<Array<PromiseSettledResult<PutOutcome>>> {
    return Promise.allSettled(items.map(({ key, value, ttlSeconds }) => this.put(key, value, {}, ttlSeconds)));
  }

  /**
   * Runs the operation on its key's preferred node: here when this node is
   * preferred, or when the peer refused the connection (so it never saw the
   * operation). Any other forwarding failure leaves a write's outcome unknown;
   * a read simply failed.
   */
  private async run<O extends ForwardableOperation>(op: O, deadline: number): Promise<ResultOf<O>> {
    const target = this.router.preferredNode(op.key);
    const client = this.forwarders.get(target);
    if (!client) return this.executor.execute(op, deadline);
    const requestId = currentRequestId();
    // With the peer's own line ("ran a forwarded operation", same requestId), this links the two nodes' logs.
    this.logger.debug({ msg: 'forwarding an operation', requestId: requestId ?? null, op: op.type, to: target });
    let answer;
    try {
      answer = await client.execute(op, deadline - Date.now(), requestId);
    } catch (error) {
      this.health.reportFailure(target, error as Error);
      if (error instanceof NotDeliveredError) return this.executor.execute(op, deadline);
      if (op.type === 'read') {
        throw ReplicationError.quorumUnreachable(
          `the read was sent to ${target}, its key's proposer, which did not answer`,
          [target],
        );
      }
      throw ReplicationError.outcomeUnknown(
        `the write was sent to ${target}, its key's proposer, which did not answer`,
        [target],
      );
    }
    if (!answer.ok) throw answer.error; // the peer's proposer ran it and it failed: an absent key, a failed precondition, no quorum
    return answer.result;
  }

  private deadline(): number {
    return Date.now() + this.config.requestTimeoutMs;
  }
}

function entryOf(key: string, { value, version, expiresAt }: ReadResult): Entry {
  return { key, value, version, ...(expiresAt !== undefined && { expiresAt }) };
}
