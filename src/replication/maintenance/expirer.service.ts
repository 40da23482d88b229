import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Expirer } from '../core/expirer';
import { AcceptorGate } from '../recovery/acceptor-gate';

/** Between checks while this node does not vote yet (it is catching up), or after a failed pass. */
const WAIT_MS = 250;

/**
 * Runs this node's Expirer for the life of the node: a pass, then a pause
 * until the next key is due (never more than 250 ms, so a key written through
 * another node is not missed for long).
 *
 * It stops in beforeApplicationShutdown, before TypeORM closes the database
 * pool in onApplicationShutdown: a pass still starting then would fail on a
 * pool that is closing, and a stopping node has no business deleting keys.
 */
@Injectable()
export class ExpirerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExpirerService.name);
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly expirer: Expirer,
    private readonly gate: AcceptorGate,
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
      let pauseMs = WAIT_MS;
      // A node still catching up holds a partial copy; the nodes that vote expire its keys meanwhile.
      if (this.gate.isVoting) {
        try {
          pauseMs = (await this.expirer.expireDue(Date.now() + this.config.requestTimeoutMs)).nextPassInMs;
          failures = 0;
        } catch (error) {
          // The database is away (a restart, a failover): a problem worth one line, not four a second.
          if (failures++ === 0) this.logger.warn(`expiring keys failed, will retry: ${(error as Error).message}`);
        }
      }
      if (!this.stopped) await this.pause(pauseMs);
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
