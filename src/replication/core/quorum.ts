/**
 * Fan one call out to every acceptor and decide as early as possible: as soon
 * as enough answers agree, or as soon as that can no longer happen. Every
 * answer (reply or error) is kept so that callers can explain a failure and,
 * when they must, wait for the stragglers.
 */

export type Answer<T> =
  | { readonly nodeId: string; readonly status: 'replied'; readonly reply: T }
  | { readonly nodeId: string; readonly status: 'failed'; readonly error: unknown }
  | { readonly nodeId: string; readonly status: 'pending' };

export interface QuorumCall<T> {
  readonly nodeId: string;
  readonly call: () => Promise<T>;
}

export interface QuorumOutcome<T> {
  /** Whether `needed` replies agreed before that became impossible. */
  readonly reached: boolean;
  /** The vote that reached the quorum, when one did. */
  readonly winner: string | undefined;
  /** Answers as they stood when the outcome was decided, in call order. */
  readonly answers: readonly Answer<T>[];
  /** Every answer once all calls have settled. Never rejects. */
  allSettled(): Promise<readonly Answer<T>[]>;
}

/**
 * Resolves when `needed` replies satisfy the predicate, or as soon as too few
 * calls remain for that to happen. Never rejects: failures are answers.
 */
export function awaitQuorum<T>(
  calls: readonly QuorumCall<T>[],
  needed: number,
  satisfies: (reply: T) => boolean,
): Promise<QuorumOutcome<T>> {
  return awaitVotes(calls, needed, (reply) => (satisfies(reply) ? 'yes' : undefined));
}

/**
 * Resolves when `needed` replies agree on the same value of `agreeOn`, or as
 * soon as no value can gather that many. Never rejects.
 */
export function awaitAgreement<T>(
  calls: readonly QuorumCall<T>[],
  needed: number,
  agreeOn: (reply: T) => string,
): Promise<QuorumOutcome<T>> {
  return awaitVotes(calls, needed, agreeOn);
}

/** A reply votes for a label, or abstains (undefined). */
function awaitVotes<T>(
  calls: readonly QuorumCall<T>[],
  needed: number,
  vote: (reply: T) => string | undefined,
): Promise<QuorumOutcome<T>> {
  if (!Number.isInteger(needed) || needed < 1 || needed > calls.length) {
    throw new RangeError(`cannot wait for ${needed} of ${calls.length} answers`);
  }
  const answers: Answer<T>[] = calls.map(({ nodeId }) => ({ nodeId, status: 'pending' }));
  const tally = new Map<string, number>();
  let pending = calls.length;

  return new Promise<QuorumOutcome<T>>((resolve) => {
    let decided = false;
    const settledCalls: Promise<void>[] = [];
    const allSettled = async (): Promise<readonly Answer<T>[]> => {
      await Promise.all(settledCalls);
      return [...answers];
    };
    const decide = (winner: string | undefined): void => {
      decided = true;
      resolve({ reached: winner !== undefined, winner, answers: [...answers], allSettled });
    };
    const reconsider = (): void => {
      if (decided) return;
      let best = 0;
      for (const [label, count] of tally) {
        if (count >= needed) return decide(label);
        best = Math.max(best, count);
      }
      if (best + pending < needed) decide(undefined);
    };

    calls.forEach(({ nodeId, call }, index) => {
      const settled = startCall(call).then(
        (reply) => {
          answers[index] = { nodeId, status: 'replied', reply };
          pending -= 1;
          const label = safeVote(vote, reply);
          if (label !== undefined) tally.set(label, (tally.get(label) ?? 0) + 1);
          reconsider();
        },
        (error: unknown) => {
          answers[index] = { nodeId, status: 'failed', error };
          pending -= 1;
          reconsider();
        },
      );
      settledCalls.push(settled);
    });
  });
}

/** A call that throws synchronously is a failed answer, not a crash of the fan-out. */
function startCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
}

function safeVote<T>(vote: (reply: T) => string | undefined, reply: T): string | undefined {
  try {
    return vote(reply);
  } catch {
    return undefined; // a reply we cannot judge counts as no vote
  }
}

export function nodesWithStatus<T>(answers: readonly Answer<T>[], status: Answer<T>['status']): string[] {
  return answers.filter((a) => a.status === status).map((a) => a.nodeId);
}

export function repliesOf<T>(answers: readonly Answer<T>[]): T[] {
  return answers.flatMap((a) => (a.status === 'replied' ? [a.reply] : []));
}
