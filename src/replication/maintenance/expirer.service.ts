import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Expirer } from '../core/expirer';
import { AcceptorGate } from '../recovery/acceptor-gate';
import { BackgroundLoop } from './background-loop';

/** Between checks while this node does not vote yet (it is catching up), or after a failed pass. */
const WAIT_MS = 250;

/**
 * Runs this node's Expirer for the life of the node: a pass, then a pause
 * until the next key is due (never more than 250 ms, so a key written through
 * another node is not missed for long). It stops before the database pool
 * closes: a stopping node has no business deleting keys.
 */
@Injectable()
export class ExpirerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: BackgroundLoop;

  constructor(expirer: Expirer, gate: AcceptorGate, @Inject(APP_CONFIG) config: AppConfig) {
    this.loop = new BackgroundLoop(
      'expiring keys',
      new Logger(ExpirerService.name),
      async () =>
        // A node still catching up holds a partial copy; the nodes that vote expire its keys meanwhile.
        gate.isVoting ? (await expirer.expireDue(Date.now() + config.requestTimeoutMs)).nextPassInMs : WAIT_MS,
      WAIT_MS,
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
