import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { AcceptorStore } from '../core/acceptor-store';
import { maxBallot, ZERO_BALLOT } from '../core/ballot';
import { NodeMeta } from '../core/node-meta';
import { AcceptorGate } from './acceptor-gate';
import { PeerScanClient } from './peer-scan-client';
import { ScannedRegister } from './register-scanner';

export const PEER_SCANNERS = Symbol('PEER_SCANNERS');
/** The acceptor's own store, not behind the gate: the catch-up writes into it while the gate is closed. */
export const UNGATED_ACCEPTOR_STORE = Symbol('UNGATED_ACCEPTOR_STORE');

const PAGE_SIZE = 1000;
const RETRY_MS = 250;

/**
 * Opens the acceptor gate once this node's database may vote.
 *
 * A database that has voted before (its incarnation is marked caught up) may
 * vote at once. A new one (first start, or a wiped disk) first copies, for
 * every key, the highest accepted value and the highest promise held by a
 * majority of the *other* nodes. Why that is enough: any value chosen, or
 * promise relied on, while this node's old database voted was stored by a
 * majority, which includes at least floor(N/2) other nodes; any floor(N/2)+1
 * other nodes include one of them. Values chosen while this node does not vote
 * were chosen by a majority without it, which every later quorum meets anyway.
 * The one timing assumption is in catchUpDelayMs.
 */
@Injectable()
export class CatchUpService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CatchUp');
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly meta: NodeMeta,
    private readonly gate: AcceptorGate,
    @Inject(UNGATED_ACCEPTOR_STORE) private readonly store: AcceptorStore,
    @Inject(PEER_SCANNERS) private readonly peers: PeerScanClient[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const incarnation = await this.meta.incarnation();
    if (this.peers.length === 0 || (await this.meta.hasCaughtUp(incarnation))) {
      await this.meta.markCaughtUp(incarnation);
      this.gate.open();
      return;
    }
    // Every new node's first start: normal, so not a warning.
    this.logger.log(
      `database incarnation ${incarnation} has never voted: copying from ${this.sourcesNeeded()} peers before this node's acceptor votes`,
    );
    // In the background: this node must already answer its peers' scans, or a
    // brand-new cluster, all of whose nodes catch up, would wait forever.
    this.running = this.pause(this.catchUpDelayMs()).then(() => this.catchUpUntilDone(incarnation));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /**
   * The old database may have made promises that a proposer still relies on in
   * a round that is under way. Every such promise is also held, durably, by the
   * other members of that round's majority, at the latest when the round's
   * deadline passes. Copying only after that moment copies those promises too.
   */
  private catchUpDelayMs(): number {
    return 2 * this.config.requestTimeoutMs;
  }

  /** floor(N/2)+1 of the other N-1 nodes. */
  private sourcesNeeded(): number {
    return Math.floor((this.peers.length + 1) / 2) + 1;
  }

  private async catchUpUntilDone(incarnation: string): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const copied = await this.catchUpOnce();
        if (copied === undefined) {
          await this.pause();
          continue;
        }
        await this.meta.markCaughtUp(incarnation);
        this.gate.open();
        this.logger.log(
          `caught up (${copied} registers copied from ${this.sourcesNeeded()} peers); this node's acceptor votes now`,
        );
        return;
      } catch (error) {
        this.logger.warn(`catch-up attempt ${attempt} failed: ${(error as Error).message}`);
        await this.pause();
      }
    }
  }

  /**
   * Gathers every register of enough usable peers, keeping per key the
   * highest accepted value and the highest promise, and only then writes them
   * to the local store. Until that moment the local store stays empty, so
   * this node is always a usable source for peers that catch up too (a
   * brand-new cluster's nodes copy from each other); had it kept a partial
   * copy while waiting for a second source, two such nodes could each refuse
   * the other forever. Returns undefined when too few peers could serve.
   */
  private async catchUpOnce(): Promise<number | undefined> {
    const gathered = new Map<string, ScannedRegister>();
    let sources = 0;
    for (const peer of this.peers) {
      if (sources >= this.sourcesNeeded() || this.stopped) break;
      const served = await this.gatherFrom(peer, gathered).then(
        () => true,
        (error: Error) => {
          this.logger.debug(`peer ${peer.peer.id} cannot serve the catch-up: ${error.message}`);
          return false;
        },
      );
      if (served) sources += 1;
    }
    if (sources < this.sourcesNeeded()) return undefined;
    await this.writeGathered(gathered);
    return gathered.size;
  }

  /** Rows of a source that fails half-way stay: they are real accepted values and promises, merged by maximum. */
  private async gatherFrom(peer: PeerScanClient, gathered: Map<string, ScannedRegister>): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page = await peer.scan(after, PAGE_SIZE, this.config.requestTimeoutMs * 5);
      if (!page.voting && page.rows.length > 0) throw new Error('it is catching up itself and holds a partial copy');
      if (page.rows.length === 0) return;
      for (const row of page.rows) {
        const known = gathered.get(row.key);
        gathered.set(row.key, {
          key: row.key,
          promised: maxBallot(known?.promised ?? ZERO_BALLOT, row.promised),
          ...(known && known.accepted >= row.accepted
            ? { accepted: known.accepted, state: known.state }
            : { accepted: row.accepted, state: row.state }),
        });
      }
      after = page.rows[page.rows.length - 1]!.key;
    }
  }

  /** Through the acceptor's own rules, which only ever raise what the store holds. */
  private async writeGathered(gathered: ReadonlyMap<string, ScannedRegister>): Promise<void> {
    const rows = [...gathered.values()];
    for (let start = 0; start < rows.length; start += PAGE_SIZE) {
      const chunk = rows.slice(start, start + PAGE_SIZE);
      const accepted = chunk.filter((row) => row.accepted !== ZERO_BALLOT);
      await this.store.accept(accepted.map((row) => ({ key: row.key, ballot: row.accepted, state: row.state })));
      const promised = chunk.filter((row) => row.promised !== ZERO_BALLOT);
      await this.store.prepare(promised.map((row) => ({ key: row.key, ballot: row.promised })));
    }
  }

  private pause(ms = RETRY_MS): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}
