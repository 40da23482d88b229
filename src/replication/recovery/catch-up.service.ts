import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { NodeMeta } from '../core/node-meta';
import { AcceptorGate } from './acceptor-gate';
import { CatchUpStaging } from './catch-up-staging';
import { MergedScan } from './merged-scan';
import { PeerScanClient } from './peer-scan-client';

export const PEER_SCANNERS = Symbol('PEER_SCANNERS');

/**
 * Rows per scan request: each request costs a round trip and a statement on the
 * peer, whatever its size; each page in flight is garbage once merged. Measured at
 * 1M keys (bench/catch-up.ts, pages of 250/500/1000 interleaved): 500 was the
 * fastest and held peak memory ~15 MiB below 1000; 250 was slower by a third.
 */
const PAGE_SIZE = 500;
/** Merged rows per statement into the staging. */
const STAGE_BATCH = 1000;
const RETRY_MS = 250;

/**
 * Where the catch-up stands, for monitoring: `starting` until the node knows
 * whether its database voted before, `waiting` out the delay before copying
 * (catchUpDelayMs), `copying` (attempts, retried until enough peers serve),
 * `done` once the acceptor votes (at once for a database that voted before).
 */
export type CatchUpPhase = 'starting' | 'waiting' | 'copying' | 'done';

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
  private phase: CatchUpPhase = 'starting';
  /** Registers staged by the current or last attempt (a failed attempt's copy is thrown away). */
  private registersCopied = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly meta: NodeMeta,
    private readonly gate: AcceptorGate,
    @Inject(PEER_SCANNERS) private readonly peers: PeerScanClient[],
    private readonly staging: CatchUpStaging,
  ) {}

  get progress(): { readonly phase: CatchUpPhase; readonly registersCopied: number } {
    return { phase: this.phase, registersCopied: this.registersCopied };
  }

  async onApplicationBootstrap(): Promise<void> {
    const incarnation = await this.meta.incarnation();
    if (this.peers.length === 0 || (await this.meta.hasCaughtUp(incarnation))) {
      await this.meta.markCaughtUp(incarnation);
      this.gate.open();
      this.phase = 'done';
      return;
    }
    this.phase = 'waiting';
    // Every new node's first start: normal, so not a warning.
    this.logger.log(
      `database incarnation ${incarnation} has never voted: copying from its peers (${this.sourcesNeeded()} of them must serve) before this node's acceptor votes`,
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
    this.phase = 'copying';
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const started = Date.now();
        const copied = await this.catchUpOnce(incarnation);
        if (copied === undefined) {
          await this.pause();
          continue;
        }
        this.gate.open();
        this.phase = 'done';
        const took = `staged in ${copied.stagedAt - started} ms, switched in ${Date.now() - copied.stagedAt} ms`;
        this.logger.log(
          `caught up (${copied.registers} registers copied from ${copied.sources.join(', ')}, ${took}); this node's acceptor votes now`,
        );
        return;
      } catch (error) {
        this.logger.warn(`catch-up attempt ${attempt} failed: ${(error as Error).message}`);
        await this.pause();
      }
    }
  }

  /**
   * Merges every register of every peer that can serve, keeping per key the
   * highest accepted value and the highest promise, into the staging, and
   * once enough of them served completely, switches the copy in. Until that
   * moment the live store stays as it was (empty, on a database that never
   * voted), so this node is always a usable source for peers that catch up
   * too (a brand-new cluster's nodes copy from each other); had it kept a
   * partial copy while waiting for a second source, two such nodes could each
   * refuse the other forever. The switch marks the incarnation caught up in
   * the same transaction. Returns undefined when too few peers could serve.
   *
   * Every attempt starts by emptying the staging: what a failed attempt, or a
   * run that crashed, left there cannot be told complete from partial, and is
   * never switched in.
   */
  private async catchUpOnce(
    incarnation: string,
  ): Promise<{ registers: number; sources: string[]; stagedAt: number } | undefined> {
    await this.staging.clear();
    const timeoutMs = this.config.requestTimeoutMs * 5;
    const scan = new MergedScan(
      this.peers.map((peer) => ({ id: peer.peer.id, scan: (after, limit) => peer.scan(after, limit, timeoutMs) })),
      PAGE_SIZE,
    );
    let registers = 0;
    this.registersCopied = 0;
    // One batch written while the next is merged: memory stays a few pages, however many keys.
    let writing: Promise<void> = Promise.resolve();
    try {
      while (!this.stopped && scan.usableSources() >= this.sourcesNeeded()) {
        const batch = await scan.next(STAGE_BATCH);
        await writing;
        if (batch.length === 0) break;
        registers += batch.length;
        this.registersCopied = registers;
        writing = this.staging.add(batch);
        writing.catch(() => undefined); // awaited before the next batch; handled meanwhile
      }
      await writing;
    } finally {
      await writing.catch(() => undefined);
    }
    for (const { source, error } of scan.failures())
      this.logger.debug(`peer ${source} cannot serve the catch-up: ${error.message}`);
    const sources = scan.completeSources();
    if (this.stopped || sources.length < this.sourcesNeeded()) return undefined;
    const stagedAt = Date.now();
    await this.staging.switchIn(incarnation);
    return { registers, sources, stagedAt };
  }

  private pause(ms = RETRY_MS): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}
