import { AcceptorStore } from '../acceptor-store';
import { MemoryAcceptorStore } from './memory-acceptor-store';
import { KeyRange } from '../key-range';
import { AcceptRequest, AcceptReply, PeekReply, PrepareReply, PrepareRequest } from '../messages';
import { SeededRandom } from './seeded-random';
import { AcceptorClient } from '../transport';
import { FeedBatch, FeedLink } from '../feed-batch';
import { FeedRelayClient } from '../feed-relay';
import { withTimeout } from '../../../common/with-timeout';

/**
 * Test support: a network between proposers and MemoryAcceptorStores that
 * misbehaves on purpose, deterministically given its seed (run it under fake
 * timers for exact replay).
 *
 * Faults apply to links between different nodes; a node's calls to its own
 * acceptor are local and always delivered unless the node is down.
 */
export interface NetworkFaults {
  /** Probability that a request never reaches the acceptor. */
  readonly dropRequest: number;
  /** Probability that the acceptor applies a request but its reply is lost. */
  readonly dropReply: number;
  /** Probability that a request is delivered twice (the second reply is discarded). */
  readonly duplicate: number;
  /** One-way delay bounds; random delays reorder messages. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const NO_FAULTS: NetworkFaults = Object.freeze({
  dropRequest: 0,
  dropReply: 0,
  duplicate: 0,
  minDelayMs: 0,
  maxDelayMs: 0,
});

export type CallKind = 'prepare' | 'accept' | 'peek' | 'list' | 'feed';

/** One call a proposer made to an acceptor (one batch). */
export interface SentCall {
  readonly from: string;
  readonly to: string;
  readonly kind: CallKind;
  readonly keys: readonly string[];
}

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

export class InMemoryNetwork {
  readonly random: SeededRandom;
  /** Every call made, in order, for tests that count messages. */
  readonly sent: SentCall[] = [];
  private faults: NetworkFaults;
  private readonly stores = new Map<string, AcceptorStore>();
  private readonly down = new Set<string>();
  private readonly cutLinks = new Set<string>();

  constructor(options: { seed: number; faults?: Partial<NetworkFaults> }) {
    this.random = new SeededRandom(options.seed);
    this.faults = { ...NO_FAULTS, ...options.faults };
  }

  addNode(nodeId: string, store: AcceptorStore = new MemoryAcceptorStore()): AcceptorStore {
    if (this.stores.has(nodeId)) throw new RangeError(`node ${nodeId} already exists`);
    this.stores.set(nodeId, store);
    return store;
  }

  get nodeIds(): string[] {
    return [...this.stores.keys()];
  }

  store(nodeId: string): AcceptorStore {
    const store = this.stores.get(nodeId);
    if (store === undefined) throw new RangeError(`no node ${nodeId}`);
    return store;
  }

  /** The node's store when it is a MemoryAcceptorStore (to inspect or wipe it). */
  memoryStore(nodeId: string): MemoryAcceptorStore {
    const store = this.store(nodeId);
    if (!(store instanceof MemoryAcceptorStore)) throw new TypeError(`node ${nodeId} does not use a memory store`);
    return store;
  }

  /** How a proposer on node `from` reaches every acceptor, in the order nodes were added. */
  clientsFor(from: string): AcceptorClient[] {
    return this.nodeIds.map((to) => this.client(from, to));
  }

  client(from: string, to: string): AcceptorClient {
    this.store(to); // fail early on a typo
    return {
      nodeId: to,
      prepare: (requests: readonly PrepareRequest[], timeoutMs: number): Promise<PrepareReply[]> =>
        this.call(
          from,
          to,
          'prepare',
          requests.map((r) => r.key),
          timeoutMs,
          (store) => store.prepare(clone(requests)),
        ),
      accept: (requests: readonly AcceptRequest[], timeoutMs: number): Promise<AcceptReply[]> =>
        this.call(
          from,
          to,
          'accept',
          requests.map((r) => r.key),
          timeoutMs,
          (store) => store.accept(clone(requests)),
        ),
      peek: (keys: readonly string[], timeoutMs: number): Promise<PeekReply[]> =>
        this.call(from, to, 'peek', keys, timeoutMs, (store) => store.peek(clone(keys))),
      list: (range: KeyRange, limit: number, timeoutMs: number): Promise<PeekReply[]> =>
        this.call(from, to, 'list', [], timeoutMs, (store) => store.list(clone(range), limit)),
    };
  }

  /** A change-feed link from one node to another, with the network's faults. */
  feedLink(from: string, to: string, deliver: (batch: FeedBatch) => void): FeedLink {
    return {
      nodeId: to,
      send: (batches: readonly FeedBatch[], timeoutMs: number): Promise<void> =>
        this.message(from, to, timeoutMs, () => clone(batches).forEach(deliver)),
    };
  }

  /** A peer's relay of the change-feed batches it kept, with the network's faults. */
  feedRelayClient(
    from: string,
    to: string,
    serve: (source: string, epoch: string | undefined, afterSeq: number) => FeedBatch[],
  ): FeedRelayClient {
    return {
      nodeId: to,
      batchesAfter: (source, epoch, afterSeq, timeoutMs) =>
        this.message(from, to, timeoutMs, () => clone(serve(source, epoch, afterSeq))),
    };
  }

  /** Any request from one node to another, through the network's faults. */
  private message<T>(from: string, to: string, timeoutMs: number, handle: () => T): Promise<T> {
    this.store(to);
    return this.call(from, to, 'feed', [], timeoutMs, () => Promise.resolve(handle()));
  }

  setFaults(faults: Partial<NetworkFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  clearFaults(): void {
    this.faults = NO_FAULTS;
  }

  /** Nodes in different groups cannot reach each other until heal(). */
  partition(...groups: readonly (readonly string[])[]): void {
    groups.forEach((group, i) =>
      groups
        .slice(i + 1)
        .forEach((other) => group.forEach((a) => other.forEach((b) => this.cutLinks.add(linkId(a, b))))),
    );
  }

  heal(): void {
    this.cutLinks.clear();
  }

  /** The node's acceptor refuses every call (a stopped process) until restart(). */
  crash(nodeId: string): void {
    this.store(nodeId);
    this.down.add(nodeId);
  }

  restart(nodeId: string): void {
    this.down.delete(nodeId);
  }

  countSent(filter: Partial<SentCall>): number {
    return this.sent.filter(
      (call) =>
        (filter.from === undefined || call.from === filter.from) &&
        (filter.to === undefined || call.to === filter.to) &&
        (filter.kind === undefined || call.kind === filter.kind),
    ).length;
  }

  private call<T>(
    from: string,
    to: string,
    kind: CallKind,
    keys: readonly string[],
    timeoutMs: number,
    deliver: (store: AcceptorStore) => Promise<T>,
  ): Promise<T> {
    this.sent.push({ from, to, kind, keys: [...keys] });
    const what = `${kind} ${from}->${to}`;
    if (this.down.has(to))
      return this.afterDelay(0, () => Promise.reject(new NetworkError(`${what}: connection refused`)));

    const local = from === to;
    const faults = local ? NO_FAULTS : this.faults;
    const reply = new Promise<T>((resolve, reject) => {
      if (this.isCut(from, to) || this.random.chance(faults.dropRequest)) return; // lost: the caller times out
      const duplicated = this.random.chance(faults.duplicate);
      const arrive = (): Promise<T> | undefined => (this.down.has(to) ? undefined : deliver(this.store(to)));
      this.schedule(this.delay(faults), () => {
        const applied = arrive();
        if (duplicated) this.schedule(this.delay(faults), () => void arrive()?.catch(() => undefined));
        applied?.then(
          (value) =>
            this.schedule(this.delay(faults), () => {
              // A node that went down after applying cannot answer any more.
              if (this.down.has(to) || this.isCut(from, to) || this.random.chance(faults.dropReply)) return;
              resolve(clone(value));
            }),
          (error: unknown) => this.schedule(this.delay(faults), () => reject(error)),
        );
      });
    });
    return withTimeout(reply, timeoutMs, what);
  }

  private afterDelay<T>(ms: number, produce: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve) => this.schedule(ms, () => resolve(produce())));
  }

  private delay(faults: NetworkFaults): number {
    return this.random.int(faults.minDelayMs, faults.maxDelayMs);
  }

  private schedule(ms: number, run: () => void): void {
    setTimeout(run, ms);
  }

  private isCut(a: string, b: string): boolean {
    return a !== b && this.cutLinks.has(linkId(a, b));
  }
}

function linkId(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Messages cross the network as copies, as they would after serialisation. */
function clone<T>(value: T): T {
  return structuredClone(value);
}
