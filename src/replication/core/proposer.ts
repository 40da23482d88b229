import { BatchingAcceptorClient, BatchingOptions } from './batching-acceptor-client';
import { Ballot, BallotClock, ZERO_BALLOT, compareBallots } from './ballot';
import { ChangeFn, IDENTITY, PendingChange, QueuedChange, applyInOrder } from './change';
import { ProtocolViolationError } from '../../common/protocol-violation';
import { ReplicationError } from './errors';
import { AcceptReply, PeekReply, PrepareReply } from './messages';
import { NextBallotCache, PreparedNext } from './next-ballot-cache';
import { Answer, QuorumCall, awaitAgreement, awaitQuorum, nodesWithStatus, repliesOf } from './quorum';
import { LINEAGE_LIMIT, RegisterState, proposedState, sameState } from './register';
import { AcceptorClient } from './transport';
import { BackoffPolicy, backoffDelay } from './backoff';
import { FeedEvent } from './feed-position';
import { ReplicationObserver, RoundOutcome, UNOBSERVED } from './replication-observer';

export interface ProposerOptions {
  /** Hands out this node's ballots; every ballot seen in a reply is fed back to it. */
  readonly clock: BallotClock;
  /** Every acceptor of the cluster, this node's own included. A majority of them is the quorum. */
  readonly acceptors: readonly AcceptorClient[];
  /** Time budget of one call to one acceptor, further capped by the request's deadline. Default 1000. */
  readonly callTimeoutMs?: number;
  /**
   * Backoff after a prepare conflict, an accept every acceptor rejected, or an
   * ambiguous accept (before running it again or resolving it). Default { baseMs: 10, maxMs: 500 }.
   */
  readonly backoff?: Partial<BackoffPolicy>;
  /**
   * A prepare to which too few acceptors answered at all (as opposed to
   * answering "conflict") is retried this many times before failing with
   * QUORUM_UNREACHABLE, so that a majority that is down fails fast instead of
   * spinning until the deadline. Default 2.
   */
  readonly unreachableRetries?: number;
  /** Keys whose next ballot is kept for the one-round-trip path. Default 10 000. */
  readonly nextBallotCacheSize?: number;
  /** Merge calls for different keys issued in the same tick into one call per acceptor. Default true. */
  readonly coalesceCalls?: boolean;
  /** How calls are merged when coalesceCalls is on. */
  readonly batching?: BatchingOptions;
  /**
   * Reads peek a bare majority first (this node's own acceptor, listed first,
   * and the next peers in turn) and the other acceptors only if those have
   * not agreed after this many ms: one round trip fewer per read. Default 30;
   * Infinity peeks only the majority unless it fails; 0 peeks everyone at once.
   */
  readonly readHedgeMs?: number;
  /**
   * Most change ids a state's lineage keeps (K). Any K >= 1 is safe; a smaller
   * one leaves more ambiguous accepts unresolved. Default LINEAGE_LIMIT.
   */
  readonly lineageLimit?: number;
  /**
   * The change feed (FeedPublisher): stamps the states this proposer builds
   * and hears how each ended. Without one, states carry no stamp and nothing
   * is published.
   */
  readonly feed?: FeedHooks;
  /** For jitter; uniform in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** The clock deadlines are measured on, in ms. Default Date.now. */
  readonly now?: () => number;
  /** Default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of every state this proposer had chosen (a majority acknowledged its accept). Must not throw. */
  readonly onChosen?: (key: string, state: RegisterState) => void;
  /** Told how rounds end, why they are retried and whether reads agree, for monitoring. Default: nobody. */
  readonly observer?: ReplicationObserver;
}

/** What the proposer tells the change feed (docs/protocol.md, "Watching"); FeedPublisher implements it. */
export interface FeedHooks {
  /** A stamp for a state built on a base stamped `baseStamp`, in flight until one of the next three. */
  stamp(baseStamp: number | undefined): number;
  chosen(event: FeedEvent): void;
  notChosen(stamp: number): void;
  unknown(stamp: number): void;
  /** A base some earlier round may have left chosen and unpublished, now chosen for certain. */
  recovered(event: FeedEvent): void;
}

/** A granted prepare: our ballot, and the newest accepted ballot and state among the grants. */
interface Granted extends PreparedNext {
  /** The highest accepted ballot among the grants (ZERO_BALLOT if none), whose state is `state`. */
  readonly accepted: Ballot;
  /** Every grant reported that same accepted ballot: a majority holds the state, so it was chosen already. */
  readonly agreed: boolean;
}

type PrepareOutcome =
  | { readonly kind: 'granted'; readonly prepared: Granted }
  | { readonly kind: 'conflict' | 'unreachable'; readonly unreachable: readonly string[] };

type AcceptOutcome =
  | { readonly kind: 'chosen' }
  | { readonly kind: 'rejected-by-all' }
  | { readonly kind: 'unknown'; readonly unreachable: readonly string[] };

/**
 * A state we sent in an accept, with the ballot it was sent at and the next
 * ballot piggybacked on it. For a state with a new version, `ballot` is also
 * its change id, the head of its lineage.
 */
export interface SentProposal {
  readonly ballot: Ballot;
  readonly state: RegisterState;
  readonly next: Ballot;
}

/** How outcome resolution ended (when it did not fail with OUTCOME_UNKNOWN). */
type Resolution =
  /** Our state is chosen: the callers' results stand. */
  | 'ours-chosen'
  /** A state without our change is chosen, and ours never can be any more: re-run the change. */
  | 'ours-excluded';

/**
 * The CASPaxos proposer: runs rounds that apply a change function to one
 * key's register at a majority of acceptors. Knows nothing of HTTP or of how
 * acceptors are reached.
 *
 * Deadlines are absolute times in ms on the `now` clock (Date.now by
 * default), so that a request's budget is shared by everything it waits for.
 */
export class Proposer {
  readonly quorumSize: number;
  private readonly clock: BallotClock;
  private readonly acceptors: readonly AcceptorClient[];
  private readonly callTimeoutMs: number;
  private readonly backoffPolicy: BackoffPolicy;
  private readonly unreachableRetries: number;
  private readonly readHedgeMs: number;
  private readonly lineageLimit: number;
  /** Rotates which peers a read asks first, so that reads spread over the cluster. */
  private readRotation = 0;
  private readonly nextBallots: NextBallotCache;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly feed: FeedHooks | undefined;
  private readonly onChosen: ((key: string, state: RegisterState) => void) | undefined;
  private readonly observer: ReplicationObserver;
  /** Changes waiting for the key's current round to finish. */
  private readonly waiting = new Map<string, QueuedChange[]>();
  /** Keys with a round in flight (or about to start) on this proposer. */
  private readonly busy = new Set<string>();

  constructor(options: ProposerOptions) {
    if (options.acceptors.length === 0) throw new RangeError('a proposer needs at least one acceptor');
    const ids = options.acceptors.map((a) => a.nodeId);
    if (new Set(ids).size !== ids.length) throw new RangeError(`duplicate acceptor ids: ${ids.join(', ')}`);

    this.clock = options.clock;
    this.acceptors =
      options.coalesceCalls === false
        ? options.acceptors
        : options.acceptors.map((a) => new BatchingAcceptorClient(a, options.batching));
    this.quorumSize = Math.floor(options.acceptors.length / 2) + 1;
    this.callTimeoutMs = options.callTimeoutMs ?? 1000;
    this.backoffPolicy = { baseMs: options.backoff?.baseMs ?? 10, maxMs: options.backoff?.maxMs ?? 500 };
    this.unreachableRetries = options.unreachableRetries ?? 2;
    this.readHedgeMs = options.readHedgeMs ?? 30;
    this.lineageLimit = options.lineageLimit ?? LINEAGE_LIMIT;
    if (!Number.isInteger(this.lineageLimit) || this.lineageLimit < 1)
      throw new RangeError(`bad lineage limit ${this.lineageLimit}`);
    this.nextBallots = new NextBallotCache(options.nextBallotCacheSize ?? 10_000);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.feed = options.feed;
    this.onChosen = options.onChosen;
    this.observer = options.observer ?? UNOBSERVED;
  }

  /**
   * Applies `fn` to the key's register in one CASPaxos round and resolves
   * with its result once the new state is chosen.
   *
   * `fn` must be pure and must not throw (see ChangeFn); a throw is treated as
   * a bug: that caller gets the error and nothing of theirs is written.
   * Concurrent changes to one key on this proposer never race: they queue
   * behind the round in flight and then run together as one round.
   *
   * Rejects with ReplicationError: QUORUM_UNREACHABLE if the change was
   * definitely not applied, OUTCOME_UNKNOWN if it may have been. An accept
   * that reached no majority but may be stored is resolved first (see
   * resolveOutcome), so OUTCOME_UNKNOWN is left only when that is impossible
   * before the deadline.
   */
  change<R>(key: string, fn: ChangeFn<R>, deadlineMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push(new PendingChange(fn, deadlineMs, resolve, reject));
      this.waiting.set(key, queue);
      if (!this.busy.has(key)) {
        this.busy.add(key);
        void this.drain(key); // drain never rejects: every outcome goes to the callers
      }
    });
  }

  /**
   * Linearizable read. One round trip and no disk write when a majority of
   * acceptors report the same accepted ballot (that value is chosen, and no
   * older than any write acknowledged before the read began); otherwise a
   * full round that writes back what it finds.
   */
  async read(key: string, deadlineMs: number): Promise<RegisterState> {
    const agreed = await this.readIfAgreed(key, deadlineMs);
    if (agreed !== undefined) return agreed;
    // The identity round writes back only what it found. If its accept is ambiguous it is
    // simply run again (it has no effect to lose or to double), and what it returns is chosen.
    return this.change(key, IDENTITY, deadlineMs);
  }

  /**
   * The cheap half of read(): the state a majority agrees on, or undefined
   * when they do not (a write in flight, an unreachable acceptor). Lets a
   * caller send the expensive half (a full round) to the key's usual
   * proposer instead of competing with it for ballots.
   */
  async readIfAgreed(key: string, deadlineMs: number): Promise<RegisterState | undefined> {
    const timeoutMs = this.callTimeout(deadlineMs);
    if (timeoutMs <= 0) throw ReplicationError.quorumUnreachable('deadline passed before the read started', []);
    const peeks = this.hedged(this.fanOut<PeekReply>(key, (acceptor) => acceptor.peek([key], timeoutMs)));
    const outcome = await awaitAgreement(peeks.calls, this.quorumSize, (reply) => reply.accepted);
    peeks.cancel();
    const agreed = repliesOf(outcome.answers).find((reply) => reply.accepted === outcome.winner);
    const state = outcome.reached && agreed !== undefined ? agreed.state : undefined;
    this.observer.readPeeked(state !== undefined);
    return state;
  }

  /**
   * A bare majority of the calls start now (the first acceptor, this node's
   * own, and the next ones in rotation); the rest wait readHedgeMs, or less if
   * an early call fails. Agreement needs only a majority, so usually the rest
   * are cancelled unsent once it is reached.
   */
  private hedged<T>(calls: readonly QuorumCall<T>[]): { calls: QuorumCall<T>[]; cancel: () => void } {
    if (this.readHedgeMs <= 0 || calls.length <= this.quorumSize) return { calls: [...calls], cancel: () => undefined };
    const [own, ...peers] = calls;
    const offset = this.readRotation++ % peers.length;
    const rotated = [...peers.slice(offset), ...peers.slice(0, offset)];
    const early = [own!, ...rotated.slice(0, this.quorumSize - 1)];
    const late = rotated.slice(this.quorumSize - 1);

    let cancelled = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const timer = Number.isFinite(this.readHedgeMs) ? setTimeout(release, this.readHedgeMs) : undefined;
    const hedgedCalls: QuorumCall<T>[] = [
      ...early.map(({ nodeId, call }) => ({
        nodeId,
        call: () =>
          call().catch((error: unknown) => {
            release(); // an early answer is missing: ask the others now
            throw error;
          }),
      })),
      ...late.map(({ nodeId, call }) => ({
        nodeId,
        call: async () => {
          await released;
          if (cancelled) throw new Error('not needed: a majority already agreed');
          return call();
        },
      })),
    ];
    const cancel = (): void => {
      cancelled = true;
      clearTimeout(timer);
      release();
    };
    return { calls: hedgedCalls, cancel };
  }

  /** Runs the queued changes of a key, one combined round at a time, until none wait. */
  private async drain(key: string): Promise<void> {
    // Let changes issued in the same synchronous burst join the first round.
    await Promise.resolve();
    try {
      for (let queued = this.takeWaiting(key); queued.length > 0; queued = this.takeWaiting(key)) {
        const live = this.rejectExpired(queued);
        if (live.length === 0) continue;
        // The combined round ends by the earliest deadline, so no caller waits past its own.
        const deadlineMs = Math.min(...live.map((change) => change.deadlineMs));
        try {
          const outcome = await this.runRound(key, live, deadlineMs);
          if (outcome !== undefined) this.observer.roundEnded(outcome);
          live.forEach((change) => change.succeed());
        } catch (error) {
          if (error instanceof ReplicationError)
            this.observer.roundEnded(error.code === 'OUTCOME_UNKNOWN' ? 'outcome_unknown' : 'no_quorum');
          live.forEach((change) => change.fail(error));
        }
      }
    } finally {
      this.busy.delete(key);
    }
  }

  private takeWaiting(key: string): QueuedChange[] {
    const queued = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    return queued;
  }

  /** Changes that waited past their deadline were never sent: definitely not applied. */
  private rejectExpired(queued: readonly QueuedChange[]): readonly QueuedChange[] {
    const now = this.now();
    const expired = queued.filter((change) => change.deadlineMs <= now);
    if (expired.length === 0) return queued; // the usual case: no error built (a stack trace costs)
    const error = ReplicationError.quorumUnreachable(
      'deadline passed while waiting for an earlier round on the key',
      [],
    );
    expired.forEach((change) => change.fail(error));
    return queued.filter((change) => change.deadlineMs > now);
  }

  /**
   * One logical round for `changes`, retried (the changes applied afresh)
   * only while their earlier attempts provably did not take effect: after a
   * prepare conflict, an accept that every acceptor rejected, an ambiguous
   * accept that changed nothing, or an ambiguous accept that outcome
   * resolution proved excluded. Resolves once the combined new state is
   * chosen; the callers' results are those of the last application. Says how
   * it was chosen (undefined: nothing was sent, every change threw).
   */
  private async runRound(
    key: string,
    changes: readonly QueuedChange[],
    deadlineMs: number,
  ): Promise<Exclude<RoundOutcome, 'no_quorum' | 'outcome_unknown'> | undefined> {
    let backoffAttempt = 0;
    let unreachableAttempts = 0;
    let lastUnreachable: readonly string[] = [];

    for (;;) {
      if (this.now() >= deadlineMs) {
        throw ReplicationError.quorumUnreachable('deadline passed before the change was sent', lastUnreachable);
      }
      const cached = this.nextBallots.take(key);
      let start: PreparedNext;
      /** Whether the base may be chosen and unpublished (see publishRecovered). */
      let baseAgreed = true;
      if (cached !== undefined) {
        start = cached;
      } else {
        const prepare = await this.prepare(key, deadlineMs);
        if (prepare.kind !== 'granted') {
          lastUnreachable = prepare.unreachable;
          if (prepare.kind === 'unreachable' && ++unreachableAttempts > this.unreachableRetries) {
            throw ReplicationError.quorumUnreachable('no majority answered the prepare', lastUnreachable);
          }
          this.observer.roundRetried(prepare.kind);
          await this.backOff(backoffAttempt++, deadlineMs, lastUnreachable);
          continue;
        }
        start = prepare.prepared;
        baseAgreed = prepare.prepared.agreed;
      }

      // A new version gets `start.ballot` as its change id: exactly the ballot it is sent with.
      // Each version the changes make on the way (a combined round makes one per write) is an event of its own.
      const steps: RegisterState[] = [];
      const content = applyInOrder(changes, start.state, (step) => steps.push(step));
      const nothingToWrite = changes.every((change) => change.threw);
      const stamps =
        this.feed !== undefined && !nothingToWrite && content.version !== start.state.version
          ? this.stampSteps(start.state.stamp, steps.length)
          : [];
      const newState = proposedState(start.state, content, start.ballot, this.lineageLimit, stamps.at(-1));
      const published = (): FeedEvent[] => steps.map((step, i) => feedEvent(key, step, stamps[i]!));
      const outOfTime = this.now() >= deadlineMs;
      if (nothingToWrite || outOfTime) {
        stamps.forEach((stamp) => this.feed!.notChosen(stamp));
        // The cached ballot was never sent, so it is still good for the next change.
        if (cached !== undefined) this.nextBallots.put(key, cached);
        if (nothingToWrite) return undefined; // every caller gets the error its own function threw
        throw ReplicationError.quorumUnreachable('deadline passed before the change was sent', lastUnreachable);
      }

      const next = this.clock.next();
      // `start.ballot` is the ballot this state is sent with (the cached next ballot on the
      // one-round-trip path, the prepare ballot otherwise): resolution depends on it.
      let accept: AcceptOutcome;
      try {
        accept = await this.accept(key, start.ballot, newState, next, deadlineMs);
      } catch (error) {
        stamps.forEach((stamp) => this.feed!.unknown(stamp)); // never left in flight: it would hold the feed back
        throw error;
      }
      switch (accept.kind) {
        case 'chosen':
          this.nextBallots.put(key, { ballot: next, state: newState });
          this.publish(key, published(), baseAgreed ? undefined : start.state);
          return cached !== undefined ? 'one_rtt' : 'full_round';
        case 'unknown': {
          lastUnreachable = accept.unreachable;
          if (sameState(newState, start.state) === true) {
            // We wrote back what we found (a read, failed preconditions): whether or not it is
            // stored, it changed nothing, so running the changes again cannot double anything.
            this.observer.roundRetried('unchanged');
            await this.backOff(backoffAttempt++, deadlineMs, lastUnreachable);
            continue;
          }
          let resolution: Resolution;
          try {
            resolution = await this.resolveOutcome(
              key,
              { ballot: start.ballot, state: newState, next },
              deadlineMs,
              accept.unreachable,
            );
          } catch (error) {
            // It may be chosen, and nobody will publish it: the feed announces a gap (rule 4).
            stamps.forEach((stamp) => this.feed!.unknown(stamp));
            throw error;
          }
          if (resolution === 'ours-chosen') {
            this.publish(key, published(), baseAgreed ? undefined : start.state);
            return 'full_round';
          }
          // Provably never chosen: apply the changes afresh to the state now chosen,
          // through the next ballot the resolution round cached.
          stamps.forEach((stamp) => this.feed!.notChosen(stamp));
          lastUnreachable = [];
          this.observer.roundRetried('excluded');
          continue;
        }
        case 'rejected-by-all':
          // Nobody stored it, so running the change again cannot apply it twice.
          stamps.forEach((stamp) => this.feed!.notChosen(stamp));
          lastUnreachable = [];
          this.observer.roundRetried('rejected');
          // A rejected cached ballot just means someone else moved on: prepare at once.
          if (cached === undefined) await this.backOff(backoffAttempt++, deadlineMs, lastUnreachable);
          continue;
      }
    }
  }

  /**
   * Our accept of `ours` (state S1 at ballot B1, with next ballot N1) reached
   * no majority but may be stored somewhere. Decides, with full rounds at
   * fresh ballots and within the deadline, whether S1 ends up chosen or
   * provably never can be.
   *
   * "B1 is not chosen" is NOT enough to say our change did not take effect:
   * another proposer whose prepare met an acceptor holding B1 builds on S1
   * (it must: S1 might have been chosen), and its later state carries our
   * change. So the question is whether the chain of states leading to what
   * gets chosen passes through B1; chainPassesThrough answers it.
   *
   * Each attempt first peeks: a state that a majority hold at one ballot is
   * chosen, and may settle it with no round (settledByChosen). Otherwise it
   * prepares a fresh ballot B and takes the newest accepted ballot H (state
   * S) among the grants, as any round does. With an answer it accepts (B, S)
   * at all: an identity round. Once a majority has it, S is chosen and every
   * later round builds on it (every later prepare quorum meets that
   * majority), so the answer is final: our change took effect exactly once,
   * or it never will. If that accept is itself ambiguous or
   * rejected, the question is the same, so it starts over (remembering what
   * each ballot it sent carried). docs/protocol.md has the full argument.
   */
  private async resolveOutcome(
    key: string,
    ours: SentProposal,
    deadlineMs: number,
    unreachable: readonly string[],
  ): Promise<Resolution> {
    /** Ballots we sent with a state since B1, and whether that state carries our change. */
    const carried = new Map<Ballot, boolean>([[ours.ballot, true]]);
    let lastUnreachable = unreachable;
    const unknown = (reason: string): ReplicationError =>
      ReplicationError.outcomeUnknown(
        `the accept reached no majority and may be stored somewhere; ${reason}`,
        lastUnreachable,
      );
    let backoffAttempt = 0;
    let unreachableAttempts = 0;

    for (;;) {
      if (this.now() >= deadlineMs) throw unknown('the deadline passed before its outcome was resolved');
      // First a look that does not compete for the key: a state that a majority already holds at
      // one ballot is chosen, and its lineage may settle the question without a round. It is
      // taken before the competitor who overtook us has had time to stack more writes than a
      // lineage keeps (it would, on its one-round-trip path, while we back off from its rounds).
      const chosen = await this.peekChosen(key, deadlineMs);
      const settled =
        chosen === undefined ? undefined : this.settledByChosen(chosen.accepted, chosen.state, ours, carried);
      if (settled !== undefined) return settled ? 'ours-chosen' : 'ours-excluded';

      const prepare = await this.prepare(key, deadlineMs);
      if (prepare.kind !== 'granted') {
        lastUnreachable = prepare.unreachable;
        if (prepare.kind === 'unreachable' && ++unreachableAttempts > this.unreachableRetries) {
          throw unknown('no majority answered the prepare that would resolve it');
        }
        await this.backOff(backoffAttempt++, deadlineMs, () => unknown('the deadline passed while resolving it'));
        continue;
      }

      const { ballot, accepted, state, agreed } = prepare.prepared;
      const carriesOurs = carried.get(accepted) ?? this.chainPassesThrough(accepted, state, ours);
      if (carriesOurs === undefined) {
        throw unknown(
          'a newer write by another proposer may or may not have been built on it (its lineage does not reach back that far, or is not known)',
        );
      }

      const next = this.clock.next();
      carried.set(ballot, carriesOurs); // set before sending: from now on it may be stored
      const accept = await this.accept(key, ballot, state, next, deadlineMs);
      if (accept.kind === 'chosen') {
        this.nextBallots.put(key, { ballot: next, state });
        if (!agreed) this.publishRecovered(key, state);
        return carriesOurs ? 'ours-chosen' : 'ours-excluded';
      }
      lastUnreachable = accept.kind === 'unknown' ? accept.unreachable : [];
      await this.backOff(backoffAttempt++, deadlineMs, () => unknown('the deadline passed while resolving it'));
    }
  }

  /**
   * The accepted ballot and state that a majority of acceptors report alike
   * (so chosen), or undefined when they do not agree or do not answer. Reads
   * only: no promise, no write.
   */
  private async peekChosen(
    key: string,
    deadlineMs: number,
  ): Promise<{ accepted: Ballot; state: RegisterState } | undefined> {
    const timeoutMs = this.callTimeout(deadlineMs);
    if (timeoutMs <= 0) return undefined;
    const calls = this.fanOut<PeekReply>(key, (acceptor) => acceptor.peek([key], timeoutMs));
    const outcome = await awaitAgreement(calls, this.quorumSize, (reply) => reply.accepted);
    const agreed = repliesOf(outcome.answers).find((reply) => reply.accepted === outcome.winner);
    return outcome.reached ? agreed : undefined;
  }

  /**
   * Whether our change took effect, judged from a state S known to be chosen
   * at ballot H: every later chosen state is built on S. So if S's chain
   * passes through B1 our change took effect; if it does not and H > B1, B1
   * can never join the chain any more (ballots rise along a chain). If
   * H < B1, our accept may still be completed on top of S: undefined.
   */
  private settledByChosen(
    accepted: Ballot,
    state: RegisterState,
    ours: SentProposal,
    carried: ReadonlyMap<Ballot, boolean>,
  ): boolean | undefined {
    const sentByUs = carried.get(accepted); // B1 itself, or a ballot of this resolution (all above B1)
    if (sentByUs !== undefined) return sentByUs;
    if (compareBallots(accepted, ours.ballot) < 0) return undefined; // no lineage below B1 can hold it
    return this.chainPassesThrough(accepted, state, ours);
  }

  /**
   * Whether the chain of states ending in (accepted, state), sent by someone
   * other than this resolution, passes through our ballot: true, false, or
   * undefined when it cannot be told. In order:
   *  - B1 is in S's lineage: yes. An id names the one state first proposed at
   *    that ballot, and a ballot carries one value: ours.
   *  - H < N1: no. A round that builds on B1 learnt it from an acceptor
   *    holding B1, and every such acceptor promised N1 in the statement that
   *    stored B1, so that round's ballot, and every later one in its chain,
   *    is above N1. (This covers H < B1 as well.)
   *  - S's lineage holds an id below N1 (other than B1): no. Ids decrease
   *    along the lineage; had the chain passed through B1, every id newer
   *    than B1 would be above N1 (as above), so reaching an id below N1
   *    without meeting B1 means B1 is not in the chain. ZERO_BALLOT, the
   *    origin's id, is below every N1: a lineage not yet cut is complete.
   *  - S is older than S1 (lower version), or differs from it at the same
   *    version: no (the version rule; for rows stored before lineages were).
   *  - Otherwise (the lineage was cut, or is unknown): undefined.
   * Protected only so that the simulation can break it on purpose and show
   * its checker notices.
   */
  protected chainPassesThrough(accepted: Ballot, state: RegisterState, ours: SentProposal): boolean | undefined {
    if (state.lineage.includes(ours.ballot)) return true;
    if (compareBallots(accepted, ours.next) < 0) return false;
    if (state.lineage.some((id) => compareBallots(id, ours.next) < 0)) return false;
    // Along a chain versions never go down, and states at equal versions are equal.
    if (state.version < ours.state.version) return false;
    if (state.version === ours.state.version && sameState(state, ours.state) === false) return false;
    return undefined;
  }

  /**
   * Tells the feed that our state is chosen (an event per version the round
   * made), and, when the round's base came
   * from grants that disagreed, that the base is chosen too (it may be a
   * write whose proposer died before publishing it; receivers drop it if they
   * have it).
   */
  private publish(key: string, events: readonly FeedEvent[], doubtfulBase?: RegisterState): void {
    if (this.feed === undefined) return;
    if (doubtfulBase !== undefined) this.publishRecovered(key, doubtfulBase);
    for (const event of events) this.feed.chosen(event);
  }

  /** One stamp per new version of a round, rising from its base's (the last is the state's own). */
  private stampSteps(baseStamp: number | undefined, count: number): number[] {
    const stamps: number[] = [];
    let base = baseStamp;
    for (let i = 0; i < count; i++) {
      base = this.feed!.stamp(base);
      stamps.push(base);
    }
    return stamps;
  }

  /** States from before stamps, and the origin, have no place in the feed. */
  private publishRecovered(key: string, state: RegisterState): void {
    if (this.feed === undefined || state.stamp === undefined || state.version === 0) return;
    this.feed.recovered(feedEvent(key, state, state.stamp));
  }

  private async prepare(key: string, deadlineMs: number): Promise<PrepareOutcome> {
    const ballot = this.clock.next();
    const timeoutMs = this.callTimeout(deadlineMs);
    const calls = this.fanOut<PrepareReply>(key, (acceptor) => acceptor.prepare([{ key, ballot }], timeoutMs));
    const outcome = await awaitQuorum(calls, this.quorumSize, (reply) => reply.ok);
    if (!outcome.reached) {
      const unreachable = nodesWithStatus(outcome.answers, 'failed');
      const tooFewAnswered = unreachable.length > this.acceptors.length - this.quorumSize;
      return { kind: tooFewAnswered ? 'unreachable' : 'conflict', unreachable };
    }
    // The newest accepted state among the grants; it may be chosen or only an unfinished write.
    let newest: { accepted: Ballot; state: RegisterState } | undefined;
    for (const reply of repliesOf(outcome.answers)) {
      if (reply.ok && (newest === undefined || compareBallots(reply.accepted, newest.accepted) > 0)) newest = reply;
    }
    if (newest === undefined) throw new Error('internal: quorum of grants without a grant');
    const grants = repliesOf(outcome.answers).filter((reply) => reply.ok);
    const agreed = grants.every((reply) => reply.ok && reply.accepted === newest.accepted);
    return { kind: 'granted', prepared: { ballot, accepted: newest.accepted, state: newest.state, agreed } };
  }

  private async accept(
    key: string,
    ballot: Ballot,
    state: RegisterState,
    next: Ballot,
    deadlineMs: number,
  ): Promise<AcceptOutcome> {
    const timeoutMs = this.callTimeout(deadlineMs);
    const calls = this.fanOut<AcceptReply>(key, (acceptor) =>
      acceptor.accept([{ key, ballot, state, next }], timeoutMs),
    );
    const outcome = await awaitQuorum(calls, this.quorumSize, (reply) => reply.ok);
    if (outcome.reached) {
      this.onChosen?.(key, state);
      return { kind: 'chosen' };
    }
    // Only an explicit "no" from every acceptor proves nobody stored it; the
    // calls are bounded by the timeout, so waiting for the rest is bounded too.
    const answers = await outcome.allSettled();
    if (answers.every(isExplicitRejection)) return { kind: 'rejected-by-all' };
    return { kind: 'unknown', unreachable: nodesWithStatus(answers, 'failed') };
  }

  /**
   * One call per acceptor for one key. Every ballot in a reply, even a late
   * one, is fed to the clock so the next ballot we make is higher.
   */
  private fanOut<T extends PrepareReply | AcceptReply | PeekReply>(
    key: string,
    send: (acceptor: AcceptorClient) => Promise<T[]>,
  ): QuorumCall<T>[] {
    return this.acceptors.map((acceptor) => ({
      nodeId: acceptor.nodeId,
      call: async () => {
        const reply = onlyReply(await send(acceptor), key, acceptor.nodeId);
        this.clock.observe(ballotIn(reply));
        return reply;
      },
    }));
  }

  /**
   * Sleeps before another attempt, or throws if the deadline would pass first:
   * QUORUM_UNREACHABLE naming `unreachable`, or the error `tooLate` makes.
   */
  private async backOff(
    attempt: number,
    deadlineMs: number,
    tooLate: readonly string[] | (() => ReplicationError),
  ): Promise<void> {
    const delayMs = backoffDelay(this.backoffPolicy, attempt, this.random);
    if (this.now() + delayMs >= deadlineMs) {
      throw typeof tooLate === 'function'
        ? tooLate()
        : ReplicationError.quorumUnreachable('deadline passed while competing for the key', tooLate);
    }
    await this.sleep(delayMs);
  }

  private callTimeout(deadlineMs: number): number {
    return Math.min(this.callTimeoutMs, deadlineMs - this.now());
  }
}

function ballotIn(reply: PrepareReply | AcceptReply | PeekReply): Ballot {
  if (!('ok' in reply)) return reply.accepted; // a peek
  if (!reply.ok) return reply.seen;
  return 'accepted' in reply ? reply.accepted : ZERO_BALLOT; // an accept ack only echoes our own ballot
}

function isExplicitRejection(answer: Answer<AcceptReply>): boolean {
  return answer.status === 'replied' && !answer.reply.ok;
}

function onlyReply<T extends { readonly key: string }>(replies: readonly T[], key: string, nodeId: string): T {
  const [reply] = replies;
  if (replies.length !== 1 || reply === undefined || reply.key !== key) {
    throw new ProtocolViolationError(`${nodeId} answered for other keys than ${JSON.stringify(key)}`);
  }
  return reply;
}

function feedEvent(key: string, state: RegisterState, stamp: number): FeedEvent {
  return {
    stamp,
    key,
    version: state.version,
    present: state.present,
    value: state.present ? state.value : null,
    ...(state.present && state.expiresAt !== undefined && { expiresAt: state.expiresAt }),
  };
}
