import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ReplicationError } from '../replication/core/errors';
import { KeyRouter } from '../replication/routing/key-router';
import { PeerHealthMonitor } from '../replication/routing/peer-health.monitor';
import { ForwardingClient, NotDeliveredError } from './forwarding/forwarding-client';
import { decodeError, KvOp } from './forwarding/kv-ops';
import { Consistency, Entry, KvExecutor, PutOutcome } from './kv-executor';
import { Preconditions } from './preconditions';

export const FORWARDING_CLIENTS = Symbol('FORWARDING_CLIENTS');

/**
 * What the controller calls. Reads run here (a linearizable read costs one
 * round trip from any node). Writes run on their key's preferred proposer,
 * here or forwarded, so that each key keeps one proposer and its writes take
 * the one-round-trip path instead of competing for ballots.
 */
@Injectable()
export class KvService {
  private readonly forwarders: Map<string, ForwardingClient>;

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
    if (consistency === 'local') return this.executor.get(key, 'local');
    const deadline = this.deadline();
    const agreed = await this.executor.getIfAgreed(key, deadline);
    if (agreed) return agreed;
    const forwarded = await this.forward({ type: 'read', key }, deadline);
    if (!forwarded) return this.executor.get(key, 'linearizable', deadline);
    return { key, value: forwarded.value, version: forwarded.version! };
  }

  async put(key: string, value: unknown, conditions: Preconditions = {}): Promise<PutOutcome> {
    const deadline = this.deadline();
    const forwarded = await this.forward({ type: 'put', key, value, conditions }, deadline);
    if (!forwarded) return this.executor.put(key, value, conditions, deadline);
    return { entry: { key, value, version: forwarded.version! }, created: forwarded.created! };
  }

  async delete(key: string, conditions: Preconditions = {}): Promise<void> {
    const deadline = this.deadline();
    const forwarded = await this.forward({ type: 'delete', key, conditions }, deadline);
    if (!forwarded) await this.executor.delete(key, conditions, deadline);
  }

  /**
   * Each item is its own quorum write, all started together so the replication
   * layer can carry them in shared peer requests. Items for the same key apply
   * in the order given. One item's failure does not undo the others.
   */
  putMany(items: ReadonlyArray<{ key: string; value: unknown }>): Promise<Array<PromiseSettledResult<PutOutcome>>> {
    return Promise.allSettled(items.map(({ key, value }) => this.put(key, value)));
  }

  /**
   * Runs the operation on its key's preferred node when that is a peer.
   * Undefined means "run it here": this node is preferred, or the peer refused
   * the connection (so it never saw it). Any other failure leaves a write's
   * outcome unknown (a read's is simply a failure).
   */
  private async forward(op: KvOp, deadline: number): Promise<{ created?: boolean; version?: number; value?: unknown } | undefined> {
    const target = this.router.preferredNode(op.key);
    const client = this.forwarders.get(target);
    if (!client) return undefined;
    let result;
    try {
      result = await client.execute(op, deadline - Date.now());
    } catch (error) {
      this.health.reportFailure(target, error as Error);
      if (error instanceof NotDeliveredError) return undefined;
      if (op.type === 'read') {
        throw ReplicationError.quorumUnreachable(`the read was sent to ${target}, its key's proposer, which did not answer`, [target]);
      }
      throw ReplicationError.outcomeUnknown(`the write was sent to ${target}, its key's proposer, which did not answer`, [target]);
    }
    if (!result.ok) throw decodeError(op.key, result.error);
    return result;
  }

  private deadline(): number {
    return Date.now() + this.config.requestTimeoutMs;
  }
}
