import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { TombstoneSettler } from '../core/tombstone-settler';
import { BackgroundLoop } from './background-loop';

/** Between passes over this node's tombstones once none were left to examine (and after a failed one). */
const IDLE_PAUSE_MS = 1000;

/**
 * Runs this node's TombstoneSettler in the background for the life of the
 * node: batch after batch while there is work, then a pause. It only ever
 * clears marks that make listings cheaper, so a failed pass is simply tried
 * again later.
 */
@Injectable()
export class TombstoneSettlerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(settler: TombstoneSettler, @Inject(APP_CONFIG) config: AppConfig) {
    this.loop = new BackgroundLoop(
      'settling tombstones',
      new Logger(TombstoneSettlerService.name),
      async () => ((await settler.settleNextBatch(Date.now() + config.requestTimeoutMs)).wrapped ? IDLE_PAUSE_MS : 0),
      IDLE_PAUSE_MS,
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
