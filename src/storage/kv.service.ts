import { Injectable } from '@nestjs/common';
import { RegisterState } from '../replication/core/register';
import { Registers } from '../replication/registers';
import { KeyNotFoundError, PreconditionFailedError } from './kv.errors';
import { Preconditions, preconditionsHold } from './preconditions';

export interface Entry {
  readonly key: string;
  readonly value: unknown;
  readonly version: number;
}

export interface PutOutcome {
  readonly entry: Entry;
  readonly created: boolean;
}

export type Consistency = 'linearizable' | 'local';

type PutResult = { kind: 'written'; created: boolean; version: number } | { kind: 'precondition-failed'; current: RegisterState };
type DeleteResult = { kind: 'deleted' } | { kind: 'precondition-failed'; current: RegisterState } | { kind: 'not-found' };

/**
 * Key-value operations expressed as changes to replicated registers. Each
 * change is a pure function of the key's current state, run by the quorum.
 */
@Injectable()
export class KvService {
  constructor(private readonly registers: Registers) {}

  async get(key: string, consistency: Consistency = 'linearizable'): Promise<Entry> {
    const state = consistency === 'local' ? await this.registers.readLocal(key) : await this.registers.read(key);
    if (!state.present) throw new KeyNotFoundError(key);
    return { key, value: state.value, version: state.version };
  }

  async put(key: string, value: unknown, conditions: Preconditions = {}): Promise<PutOutcome> {
    const result = await this.registers.change<PutResult>(key, (current) => {
      if (!preconditionsHold(current, conditions)) return { state: current, result: { kind: 'precondition-failed', current } };
      const next = { present: true, value, version: current.version + 1 };
      return { state: next, result: { kind: 'written', created: !current.present, version: next.version } };
    });
    if (result.kind === 'precondition-failed') throw preconditionFailed(key, result.current);
    return { entry: { key, value, version: result.version }, created: result.created };
  }

  async delete(key: string, conditions: Preconditions = {}): Promise<void> {
    const result = await this.registers.change<DeleteResult>(key, (current) => {
      if (!preconditionsHold(current, conditions)) return { state: current, result: { kind: 'precondition-failed', current } };
      if (!current.present) return { state: current, result: { kind: 'not-found' } };
      return { state: { present: false, value: null, version: current.version + 1 }, result: { kind: 'deleted' } };
    });
    if (result.kind === 'precondition-failed') throw preconditionFailed(key, result.current);
    if (result.kind === 'not-found') throw new KeyNotFoundError(key);
  }

  /**
   * Each item is its own quorum write, all started together so the replication
   * layer can carry them in shared peer requests. Items for the same key apply
   * in the order given. One item's failure does not undo the others.
   */
  async putMany(items: ReadonlyArray<{ key: string; value: unknown }>): Promise<Array<PromiseSettledResult<PutOutcome>>> {
    return Promise.allSettled(items.map(({ key, value }) => this.put(key, value)));
  }
}

function preconditionFailed(key: string, current: RegisterState): PreconditionFailedError {
  return new PreconditionFailedError(key, current.present ? current.version : undefined);
}
