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
 * Key-value operations expressed as changes to replicated registers, run by
 * this node's proposer. Each change is a pure function of the key's current
 * state, run by the quorum.
 */
@Injectable()
export class KvExecutor {
  constructor(private readonly registers: Registers) {}

  async get(key: string, consistency: Consistency = 'linearizable', deadlineMs?: number): Promise<Entry> {
    const state = consistency === 'local' ? await this.registers.readLocal(key) : await this.registers.read(key, deadlineMs);
    return entryOf(key, state);
  }

  /** A linearizable read if the replicas agree at once; undefined when it needs a full round. */
  async getIfAgreed(key: string, deadlineMs: number): Promise<Entry | undefined> {
    const state = await this.registers.readIfAgreed(key, deadlineMs);
    return state === undefined ? undefined : entryOf(key, state);
  }

  async put(key: string, value: unknown, conditions: Preconditions = {}, deadlineMs?: number): Promise<PutOutcome> {
    const result = await this.registers.change<PutResult>(key, (current) => {
      if (!preconditionsHold(current, conditions)) return { state: current, result: { kind: 'precondition-failed', current } };
      const next = { present: true, value, version: current.version + 1 };
      return { state: next, result: { kind: 'written', created: !current.present, version: next.version } };
    }, deadlineMs);
    if (result.kind === 'precondition-failed') throw preconditionFailed(key, result.current);
    return { entry: { key, value, version: result.version }, created: result.created };
  }

  async delete(key: string, conditions: Preconditions = {}, deadlineMs?: number): Promise<void> {
    const result = await this.registers.change<DeleteResult>(key, (current) => {
      if (!preconditionsHold(current, conditions)) return { state: current, result: { kind: 'precondition-failed', current } };
      if (!current.present) return { state: current, result: { kind: 'not-found' } };
      return { state: { present: false, value: null, version: current.version + 1 }, result: { kind: 'deleted' } };
    }, deadlineMs);
    if (result.kind === 'precondition-failed') throw preconditionFailed(key, result.current);
    if (result.kind === 'not-found') throw new KeyNotFoundError(key);
  }
}

function entryOf(key: string, state: RegisterState): Entry {
  if (!state.present) throw new KeyNotFoundError(key);
  return { key, value: state.value, version: state.version };
}

function preconditionFailed(key: string, current: RegisterState): PreconditionFailedError {
  return new PreconditionFailedError(key, current.present ? current.version : undefined);
}
