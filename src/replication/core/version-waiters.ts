import type { DomainError } from '../../common/domain-error';
import { KeyChangeSignals } from './key-change-signals';

/**
 * What a linearizable read of a key gave: a version and the answer to send
 * (`result`), or a failure (no quorum, ...). An absent key has a version too:
 * its tombstone's, or 0 when it was never written.
 */
export type ReadOutcome<R> =
  { readonly ok: true; readonly version: number; readonly result: R } | { readonly ok: false; readonly error: unknown };

export interface VersionWaitersOptions<R> {
  readonly signals: KeyChangeSignals;
  /** A linearizable read of the key, started when called. Must not reject (failures are outcomes). */
  readonly read: (key: string) => Promise<ReadOutcome<R>>;
  /** Safety net: with waiters on a key, it is read at least this often even without any signal. */
  readonly recheckMs: number;
  /** Most waits open at once; beyond it, wait() throws WaitRefusedError. */
  readonly maxWaiters: number;
}

export interface WaitRequest {
  readonly key: string;
  /** Answer once the version is above this; undefined: above the version the first read finds. */
  readonly afterVersion?: number;
  readonly waitMs: number;
  /** The client went away: the wait ends at once, resolving with undefined. */
  readonly abort?: AbortSignal;
}

/** A wait that was not opened: too many open, or the node is stopping. Nothing was read. */
export class WaitRefusedError extends Error implements DomainError {
  readonly kind = 'unavailable';
  /** The 503 body's usual fields: no peer is at fault, and nothing was written. */
  readonly clientDetails = { unreachablePeers: [], mayHaveTakenEffect: false };
  readonly clientHeaders = { 'Retry-After': '1' };
  constructor(
    readonly code: 'TOO_MANY_WAITS' | 'SHUTTING_DOWN',
    message: string,
  ) {
    super(message);
  }
}

/** The first delay before reading again when a hinted version was not visible yet; it doubles. */
const FIRST_HINT_RETRY_MS = 50;

interface Waiter<R> {
  afterVersion: number | undefined;
  /** A read made after the wait opened has answered (so afterVersion is known). */
  checked: boolean;
  /** waitMs has passed (or the node is stopping): the next read made after the wait opened answers it. */
  final: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  finish: (outcome: ReadOutcome<R> | undefined) => void;
}

interface KeyGroup<R> {
  readonly key: string;
  readonly waiters: Set<Waiter<R>>;
  reading: boolean;
  /** Something happened during the read in flight (a signal, a new waiter, a deadline): read again after it. */
  readAgain: boolean;
  /** The highest version a hint announced that no read has shown yet (0: none). */
  hinted: number;
  /** While a hinted version is not visible yet: when to read again, and the next delay. */
  hintTimer: ReturnType<typeof setTimeout> | undefined;
  hintDelayMs: number;
  readonly recheck: ReturnType<typeof setInterval>;
  readonly unsubscribe: () => void;
}

/**
 * Long polls on single keys: each wait ends when a linearizable read finds the
 * key's version above `afterVersion`, or after `waitMs` with a last read's
 * outcome. Every answer comes from a read started after the wait opened: a
 * read already in flight when a waiter arrives is never used for it.
 *
 * Reads are shared: all waiters on a key are served by one read at a time. A
 * key is read when a signal reports a version above the lowest version its
 * waiters wait past (so a read that writes back what it found, an identity
 * round, wakes nobody), again shortly after a read that did not show the
 * hinted version yet, when a waiter arrives or reaches its deadline, and
 * every `recheckMs` as a safety net for a node that missed the change's
 * accept. A failed read answers the waiters it was their first read for (as a
 * GET would) and those past their deadline; the others wait on.
 */
export class VersionWaiters<R> {
  private readonly groups = new Map<string, KeyGroup<R>>();
  private count = 0;
  private stopping = false;

  constructor(private readonly options: VersionWaitersOptions<R>) {}

  /** Waits open now. */
  get open(): number {
    return this.count;
  }

  /** Resolves with the read to answer with, or undefined when aborted. */
  wait(request: WaitRequest): Promise<ReadOutcome<R> | undefined> {
    if (this.stopping) throw new WaitRefusedError('SHUTTING_DOWN', 'this node is shutting down: try another node');
    if (this.count >= this.options.maxWaiters)
      throw new WaitRefusedError(
        'TOO_MANY_WAITS',
        `this node has ${this.options.maxWaiters} long polls open, its limit: try again later or another node`,
      );
    if (request.abort?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const group = this.groupOf(request.key);
      const onAbort = (): void => waiter.finish(undefined);
      const waiter: Waiter<R> = {
        afterVersion: request.afterVersion,
        checked: false,
        final: false,
        timer: undefined,
        finish: (outcome) => {
          if (!group.waiters.delete(waiter)) return;
          this.count--;
          clearTimeout(waiter.timer);
          request.abort?.removeEventListener('abort', onAbort);
          if (group.waiters.size === 0) this.dropGroup(group);
          resolve(outcome);
        },
      };
      group.waiters.add(waiter);
      this.count++;
      waiter.timer = setTimeout(() => {
        waiter.final = true;
        this.readSoon(group);
      }, request.waitMs);
      request.abort?.addEventListener('abort', onAbort, { once: true });
      this.readSoon(group);
    });
  }

  /**
   * Stops taking waits and answers every open one with a read made now, as if
   * its time were up. Resolves once all are answered.
   */
  async close(): Promise<void> {
    this.stopping = true;
    const answered: Array<Promise<void>> = [];
    for (const group of this.groups.values()) {
      for (const waiter of group.waiters) {
        waiter.final = true;
        answered.push(new Promise((resolve) => (waiter.finish = chain(waiter.finish, resolve))));
      }
      this.readSoon(group);
    }
    await Promise.all(answered);
  }

  private groupOf(key: string): KeyGroup<R> {
    const existing = this.groups.get(key);
    if (existing) return existing;
    const group: KeyGroup<R> = {
      key,
      waiters: new Set(),
      reading: false,
      readAgain: false,
      hinted: 0,
      hintTimer: undefined,
      hintDelayMs: FIRST_HINT_RETRY_MS,
      recheck: setInterval(() => this.readSoon(group), this.options.recheckMs),
      unsubscribe: this.options.signals.subscribe(key, (version) => {
        if (!this.wakes(group, version)) return;
        group.hinted = Math.max(group.hinted, version);
        this.readSoon(group);
      }),
    };
    this.groups.set(key, group);
    return group;
  }

  private dropGroup(group: KeyGroup<R>): void {
    clearInterval(group.recheck);
    clearTimeout(group.hintTimer);
    group.unsubscribe();
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  /** Whether a state of `version` could answer a waiter (a waiter whose first read is pending could be answered by anything). */
  private wakes(group: KeyGroup<R>, version: number): boolean {
    for (const waiter of group.waiters) {
      if (waiter.afterVersion === undefined || version > waiter.afterVersion) return true;
    }
    return false;
  }

  /** Starts a read for the group, or, with one in flight, another right after it. */
  private readSoon(group: KeyGroup<R>): void {
    if (group.waiters.size === 0) return;
    if (group.reading) {
      group.readAgain = true;
      return;
    }
    void this.readFor(group);
  }

  private async readFor(group: KeyGroup<R>): Promise<void> {
    group.reading = true;
    group.readAgain = false;
    // Only the waiters present when the read starts may be answered by it.
    const covered = [...group.waiters];
    let outcome: ReadOutcome<R>;
    try {
      outcome = await this.options.read(group.key);
    } catch (error) {
      outcome = { ok: false, error }; // read() should not reject; if it does, it is a failed read
    }
    group.reading = false;
    for (const waiter of covered) {
      if (!group.waiters.has(waiter)) continue; // answered meanwhile, or gone
      if (!outcome.ok) {
        if (waiter.final || !waiter.checked) waiter.finish(outcome);
        continue;
      }
      waiter.afterVersion ??= outcome.version;
      waiter.checked = true;
      if (outcome.version > waiter.afterVersion || waiter.final) waiter.finish(outcome);
    }
    if (outcome.ok) this.followHint(group, outcome.version);
    if (group.readAgain) this.readSoon(group);
  }

  /**
   * A hint usually comes as its state is being stored by a majority; a read
   * that starts at once can find the replicas still on the previous state and
   * answer that (correctly). The hint will not come again, so while the
   * announced version is not visible, read again after 50 ms, 100 ms, ... and
   * leave it to the recheck past `recheckMs` (the hinted state may never be
   * chosen: its round was overtaken).
   */
  private followHint(group: KeyGroup<R>, seen: number): void {
    if (group.hinted <= seen || group.waiters.size === 0 || group.hintDelayMs > this.options.recheckMs) {
      group.hinted = 0;
      group.hintDelayMs = FIRST_HINT_RETRY_MS;
      return;
    }
    if (group.hintTimer !== undefined) return;
    group.hintTimer = setTimeout(() => {
      group.hintTimer = undefined;
      this.readSoon(group);
    }, group.hintDelayMs);
    group.hintDelayMs *= 2;
  }
}

function chain<A>(first: (arg: A) => void, then: () => void): (arg: A) => void {
  return (arg) => {
    first(arg);
    then();
  };
}
