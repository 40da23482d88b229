import { BallotClock } from '../ballot';
import { ChangeFn } from '../change';
import { InMemoryNetwork, NetworkFaults } from './in-memory-network';
import { Proposer, ProposerOptions } from '../proposer';
import { RegisterContent } from '../register';
import { AcceptorClient } from '../transport';

/**
 * Helpers shared by the proposer specs and simulations. Meant to run under
 * fake timers, so that network delays, timeouts and backoff cost no real time
 * and replay exactly from a seed. Nothing here refers to jest itself, because
 * this file is compiled with the application.
 */

/** Fake timer settings for the protocol specs: promise jobs must stay real, or awaiting anything would hang. */
export function protocolFakeTimers(): { doNotFake: Array<'nextTick' | 'queueMicrotask'> } {
  return { doNotFake: ['nextTick', 'queueMicrotask'] };
}

/** Moves fake time forward, e.g. `(ms) => jest.advanceTimersByTimeAsync(ms)`. */
export type AdvanceFakeTime = (ms: number) => Promise<unknown>;

/** Plain functions (no `this`), so specs can destructure them. */
export interface FakeTimeRunner {
  /** Advances fake time until `promise` settles, then reports its outcome. */
  readonly settle: <T>(promise: Promise<T>) => Promise<PromiseSettledResult<T>>;
  /** Advances fake time until `promise` settles; resolves or rejects like it. */
  readonly run: <T>(promise: Promise<T>) => Promise<T>;
}

export function fakeTimeRunner(advance: AdvanceFakeTime, maxFakeMs = 600_000): FakeTimeRunner {
  const settle = async <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> => {
    let done = false;
    const outcome = Promise.allSettled([promise]).then(([result]) => {
      done = true;
      return result;
    });
    for (let elapsed = 0; !done && elapsed < maxFakeMs; elapsed += 5) await advance(5);
    if (!done) throw new Error(`still pending after ${maxFakeMs} ms of fake time`);
    return outcome;
  };
  const run = async <T>(promise: Promise<T>): Promise<T> => {
    const outcome = await settle(promise);
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  };
  return { settle, run };
}

export function nodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

export function makeNetwork(acceptorCount: number, seed = 1, faults: Partial<NetworkFaults> = {}): InMemoryNetwork {
  const network = new InMemoryNetwork({ seed, faults });
  nodeIds(acceptorCount).forEach((id) => network.addNode(id));
  return network;
}

export type TestProposerOverrides = Partial<ProposerOptions> & {
  boot?: number;
  wrap?: (client: AcceptorClient) => AcceptorClient;
};

export function makeProposer(network: InMemoryNetwork, from: string, overrides: TestProposerOverrides = {}): Proposer {
  return new Proposer(testProposerOptions(network, from, overrides));
}

/** What makeProposer builds a proposer from: for tests that build a Proposer subclass instead. */
export function testProposerOptions(
  network: InMemoryNetwork,
  from: string,
  overrides: TestProposerOverrides = {},
): ProposerOptions {
  const { boot = 0, wrap = (client: AcceptorClient) => client, ...options } = overrides;
  return {
    clock: new BallotClock(from, boot),
    acceptors: network.clientsFor(from).map(wrap),
    callTimeoutMs: 100,
    random: network.random.source,
    ...options,
  };
}

export function counterOf(state: RegisterContent): number {
  return state.present ? (state.value as number) : 0;
}

/** Adds one to a counter register and reports the new count. */
export const increment: ChangeFn<number> = (current) => {
  const value = counterOf(current) + 1;
  return { state: { present: true, value, version: current.version + 1 }, result: value };
};

export function put(value: unknown): ChangeFn<RegisterContent> {
  return (current) => {
    const state: RegisterContent = { present: true, value, version: current.version + 1 };
    return { state, result: state };
  };
}
