import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { TombstoneSettler } from '../core/tombstone-settler';

/** Between passes over this node's tombstones once none were left to examine. */
const IDLE_PAUSE_MS = 1000;

/**
 * Runs this node's TombstoneSettler in the background for the life of the
 * node: batch after batch while there is work, then a pause. It only ever
 * clears marks that make listings cheaper, so a failed pass is simply tried
 * again later.
 *
 * It stops in beforeApplicationShutdown, before TypeORM closes the database
 * pool in onApplicationShutdown, so that no pass runs on a pool that is closing.
 */
@Injectable()
export class TombstoneSettlerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TombstoneSettlerService.name);
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settler: TombstoneSettler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let idle = true;
      try {
        const pass = await this.settler.settleNextBatch(Date.now() + this.config.requestTimeoutMs);
        idle = pass.wrapped;
        failures = 0;
      } catch (error) {
        // The database is away (a restart, a failover): a problem worth one line, not one per second.
        if (failures++ === 0) this.logger.warn(`settling tombstones failed, will retry: ${(error as Error).message}`);
      }
      if (idle && !this.stopped) await this.pause(IDLE_PAUSE_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
