import { ProtocolViolationError } from './protocol-violation';
import { withTimeout } from './with-timeout';

export interface CoalescerSettings {
  /** Most keys in one call. */
  readonly maxBatchSize: number;
  /**
   * Calls of this kind allowed in flight at once. While that many are out,
   * new calls gather and leave together when one returns ("group commit"):
   * idle, a call leaves at once; under load, calls ride in bigger batches, so
   * requests, statements and syscalls per key fall as load rises.
   */
  readonly maxInFlight: number;
  /** When to send what has gathered, if nothing holds it back. */
  readonly schedule: (flush: () => void) => void;
  /**
   * While a call is already in flight, a new one waits this long (ms) for
   * more to gather before taking a free slot. Idle, nothing waits; under load
   * batches grow, and fewer, larger calls cost less CPU per key. Default 0.
   */
  readonly lingerMs?: number;
  /** For messages: what the calls go to. */
  readonly target: string;
}

interface Waiting<Req, Rep> {
  readonly requests: readonly Req[];
  readonly timeoutMs: number | undefined;
  readonly resolve: (replies: Rep[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers calls of one kind to one destination and sends them together, one
 * reply per request, split back to the callers in order. A batch never names
 * a key twice (a clashing call goes into the next batch); a failed send fails
 * every caller in that batch, as it would have alone.
 */
export class CallCoalescer<Req, Rep extends { readonly key: string }> {
  private gathering: Waiting<Req, Rep>[] = [];
  private flushScheduled = false;
  private inFlight = 0;

  constructor(
    private readonly kind: string,
    private readonly settings: CoalescerSettings,
    private readonly keyOf: (request: Req) => string,
    private readonly send: (requests: Req[], timeoutMs: number | undefined) => Promise<Rep[]>,
  ) {}

  /** `timeoutMs` bounds this caller's wait, batch-mates' budgets notwithstanding; undefined: no bound. */
  call(requests: readonly Req[], timeoutMs?: number): Promise<Rep[]> {
    if (requests.length === 0) return Promise.resolve([]);
    const replies = new Promise<Rep[]>((resolve, reject) => {
      this.gathering.push({ requests, timeoutMs, resolve, reject });
      this.scheduleFlush();
    });
    return timeoutMs === undefined
      ? replies
      : withTimeout(replies, timeoutMs, `${this.kind} at ${this.settings.target}`);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight >= this.settings.maxInFlight) return;
    this.flushScheduled = true;
    const flush = (): void => {
      this.flushScheduled = false;
      this.flush();
    };
    const lingerMs = this.settings.lingerMs ?? 0;
    if (this.inFlight > 0 && lingerMs > 0) setTimeout(flush, lingerMs);
    else this.settings.schedule(flush);
  }

  private flush(): void {
    const batches = this.splitIntoBatches(this.gathering);
    this.gathering = [];
    while (batches.length > 0 && this.inFlight < this.settings.maxInFlight) this.sendBatch(batches.shift()!);
    // What could not leave waits, in order, for the next free slot.
    this.gathering = batches.flat();
  }

  private splitIntoBatches(waiting: readonly Waiting<Req, Rep>[]): Waiting<Req, Rep>[][] {
    const batches: Waiting<Req, Rep>[][] = [];
    let current: Waiting<Req, Rep>[] = [];
    let keys = new Set<string>();
    for (const entry of waiting) {
      const entryKeys = entry.requests.map(this.keyOf);
      const clashes = entryKeys.some((key) => keys.has(key));
      const tooBig = keys.size > 0 && keys.size + entryKeys.length > this.settings.maxBatchSize;
      if (clashes || tooBig) {
        batches.push(current);
        current = [];
        keys = new Set();
      }
      current.push(entry);
      for (const key of entryKeys) keys.add(key);
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  private sendBatch(batch: readonly Waiting<Req, Rep>[]): void {
    const requests = batch.flatMap((entry) => entry.requests);
    const budgets = batch.map((entry) => entry.timeoutMs).filter((ms): ms is number => ms !== undefined);
    const timeoutMs = budgets.length === batch.length ? Math.max(...budgets) : undefined;
    this.inFlight += 1;
    let sent: Promise<Rep[]>;
    try {
      sent = this.send(requests, timeoutMs);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent
      .then(
        (replies) => this.distribute(batch, requests, replies),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.gathering.length > 0) this.scheduleFlush();
      })
      .catch(() => undefined); // distribute and reject never throw; this only keeps the chain from floating
  }

  private distribute(batch: readonly Waiting<Req, Rep>[], requests: readonly Req[], replies: readonly Rep[]): void {
    const mismatch =
      replies.length !== requests.length || replies.some((reply, i) => reply.key !== this.keyOf(requests[i]!));
    if (mismatch) {
      const error = new ProtocolViolationError(
        `${this.kind} at ${this.settings.target}: replies do not match requests`,
      );
      batch.forEach((entry) => entry.reject(error));
      return;
    }
    let offset = 0;
    for (const entry of batch) {
      entry.resolve(replies.slice(offset, offset + entry.requests.length));
      offset += entry.requests.length;
    }
  }
}

export const scheduleOnImmediate = (flush: () => void): void => void setImmediate(flush);

/** The linger the service uses for peer calls, forwarded operations and statements (see CoalescerSettings.lingerMs). */
export const BATCH_LINGER_MS = 1;
