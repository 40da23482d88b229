import { QuorumCall, awaitAgreement, awaitQuorum } from './quorum';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function pendingCalls<T>(ids: readonly string[]): { calls: QuorumCall<T>[]; answers: Map<string, Deferred<T>> } {
  const answers = new Map(ids.map((id) => [id, deferred<T>()]));
  const calls = ids.map((nodeId) => ({ nodeId, call: () => answers.get(nodeId)!.promise }));
  return { calls, answers };
}

/** Resolves to 'pending' if `promise` has not settled after the microtask queue drained. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'settled'> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled ? 'settled' : 'pending';
}

describe('awaitQuorum', () => {
  it('resolves on the first majority of satisfying replies without waiting for the rest', async () => {
    const { calls, answers } = pendingCalls<boolean>(['a', 'b', 'c']);
    const outcome = awaitQuorum(calls, 2, (ok) => ok);
    answers.get('a')!.resolve(true);
    expect(await stateOf(outcome)).toBe('pending');
    answers.get('c')!.resolve(true);
    const result = await outcome;
    expect(result.reached).toBe(true);
    expect(result.answers.map((a) => a.status)).toEqual(['replied', 'pending', 'replied']);
  });

  it('fails as soon as a majority has become impossible, keeping every error', async () => {
    const { calls, answers } = pendingCalls<boolean>(['a', 'b', 'c']);
    const outcome = awaitQuorum(calls, 2, (ok) => ok);
    answers.get('a')!.reject(new Error('refused'));
    answers.get('b')!.resolve(false);
    const result = await outcome;
    expect(result.reached).toBe(false);
    expect(result.answers).toEqual([
      { nodeId: 'a', status: 'failed', error: new Error('refused') },
      { nodeId: 'b', status: 'replied', reply: false },
      { nodeId: 'c', status: 'pending' },
    ]);

    const settled = result.allSettled();
    expect(await stateOf(settled)).toBe('pending');
    answers.get('c')!.resolve(true);
    expect((await settled).map((a) => a.status)).toEqual(['failed', 'replied', 'replied']);
  });

  it('counts a call that throws synchronously as a failed answer', async () => {
    const calls: QuorumCall<boolean>[] = [
      { nodeId: 'a', call: () => Promise.resolve(true) },
      {
        nodeId: 'b',
        call: () => {
          throw new Error('boom');
        },
      },
    ];
    const result = await awaitQuorum(calls, 2, (ok) => ok);
    expect(result.reached).toBe(false);
    expect(result.answers[1]).toMatchObject({ nodeId: 'b', status: 'failed' });
  });

  it('works with a quorum of one', async () => {
    const result = await awaitQuorum([{ nodeId: 'solo', call: () => Promise.resolve(1) }], 1, (n) => n === 1);
    expect(result.reached).toBe(true);
  });

  it('refuses an impossible quorum size', () => {
    expect(() => awaitQuorum([], 1, () => true)).toThrow(RangeError);
  });
});

describe('awaitAgreement', () => {
  it('resolves when a majority agree, even after a disagreeing reply', async () => {
    const { calls, answers } = pendingCalls<string>(['a', 'b', 'c', 'd', 'e']);
    const outcome = awaitAgreement(calls, 3, (ballot) => ballot);
    answers.get('a')!.resolve('x');
    answers.get('b')!.resolve('y');
    answers.get('c')!.resolve('x');
    expect(await stateOf(outcome)).toBe('pending');
    answers.get('d')!.resolve('x');
    const result = await outcome;
    expect(result).toMatchObject({ reached: true, winner: 'x' });
  });

  it('fails once no value can reach a majority', async () => {
    const { calls, answers } = pendingCalls<string>(['a', 'b', 'c']);
    const outcome = awaitAgreement(calls, 2, (ballot) => ballot);
    answers.get('a')!.resolve('x');
    answers.get('b')!.resolve('y');
    expect(await stateOf(outcome)).toBe('pending'); // c could still agree with either
    answers.get('c')!.resolve('z');
    expect(await outcome).toMatchObject({ reached: false, winner: undefined });
  });
});
