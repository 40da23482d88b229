import { Injectable } from '@nestjs/common';
import { RegisterState } from '../replication/core/register';
import { Registers } from '../replication/registers';
import { KeyNotFoundError, PreconditionFailedError } from './kv.errors';
import { DeleteOperation, KvOperation, KvResult, PutOperation, ReadOperation, ResultOf } from './kv-operation';
import { preconditionsHold } from './preconditions';

type PutChange =
  | { kind: 'written'; created: boolean; version: number; expiresAt?: number }
  | { kind: 'precondition-failed'; current: RegisterState };
type DeleteChange =
  { kind: 'deleted' } | { kind: 'precondition-failed'; current: RegisterState } | { kind: 'not-found' };

/**
 * Runs key-value operations on this node's proposer, as changes to replicated
 * registers: each change is a pure function of the key's current state, run
 * by the quorum. The one entry point for operations from this node's clients
 * and from peers that forwarded them; it never forwards.
 */
@Injectable()
export class KvExecutor {
  constructor(private readonly registers: Registers) {}

  execute<O extends KvOperation>(op: O, deadlineMs?: number): Promise<ResultOf<O>>;
  async execute(op: KvOperation, deadlineMs?: number): Promise<KvResult> {
    switch (op.type) {
      case 'read':
        return this.read(op, deadlineMs);
      case 'put':
        return this.put(op, deadlineMs);
      case 'delete':
        return this.delete(op, deadlineMs);
    }
  }

  private async read({ key, consistency }: ReadOperation, deadlineMs: number | undefined): Promise<KvResult> {
    let state: RegisterState | undefined;
    switch (consistency) {
      case 'local':
        state = await this.registers.readLocal(key);
        break;
      case 'if-agreed':
        state = await this.registers.readIfAgreed(key, deadlineMs);
        if (state === undefined) return { type: 'unsettled' };
        break;
      case 'linearizable':
        state = await this.registers.read(key, deadlineMs);
        break;
    }
    if (!state.present) throw new KeyNotFoundError(key, state.version);
    return { type: 'read', value: state.value, version: state.version, ...expiryOf(state) };
  }

  private async put(
    { key, value, conditions, ttlSeconds }: PutOperation,
    deadlineMs: number | undefined,
  ): Promise<KvResult> {
    const change = await this.registers.change<PutChange>(
      key,
      (current) => {
        if (!preconditionsHold(current, conditions))
          return { state: current, result: { kind: 'precondition-failed', current } };
        // The expiry is fixed when the proposer applies the write, a few ms before the quorum
        // acknowledges it: a holder that counts its TTL from when it sent the request is never late.
        const expiry = ttlSeconds === undefined ? {} : { expiresAt: Date.now() + ttlSeconds * 1000 };
        const next = { present: true, value, version: current.version + 1, ...expiry };
        return {
          state: next,
          result: { kind: 'written', created: !current.present, version: next.version, ...expiry },
        };
      },
      deadlineMs,
    );
    if (change.kind === 'precondition-failed') throw preconditionFailed(key, change.current);
    return { type: 'put', created: change.created, version: change.version, ...expiryOf(change) };
  }

  private async delete({ key, conditions }: DeleteOperation, deadlineMs: number | undefined): Promise<KvResult> {
    const change = await this.registers.change<DeleteChange>(
      key,
      (current) => {
        if (!preconditionsHold(current, conditions))
          return { state: current, result: { kind: 'precondition-failed', current } };
        if (!current.present) return { state: current, result: { kind: 'not-found' } };
        return { state: { present: false, value: null, version: current.version + 1 }, result: { kind: 'deleted' } };
      },
      deadlineMs,
    );
    if (change.kind === 'precondition-failed') throw preconditionFailed(key, change.current);
    if (change.kind === 'not-found') throw new KeyNotFoundError(key);
    return { type: 'delete' };
  }
}

function expiryOf({ expiresAt }: { expiresAt?: number }): { expiresAt?: number } {
  return expiresAt === undefined ? {} : { expiresAt };
}

function preconditionFailed(key: string, current: RegisterState): PreconditionFailedError {
  return new PreconditionFailedError(key, current.present ? current.version : undefined);
}
