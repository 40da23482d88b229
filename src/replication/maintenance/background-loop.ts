import { Logger } from '@nestjs/common';

/**
 * A job run pass after pass for the life of a node, with the pause each pass
 * asks for, stopped at once (a pause is cut short; a pass in progress is
 * awaited). Services start it in onApplicationBootstrap and stop it in
 * beforeApplicationShutdown, before TypeORM closes the database pool, so no
 * pass runs on a pool that is closing.
 *
 * A failing pass (the database is away: a restart, a failover) is worth one
 * warning per streak of failures, not one per pass; the loop waits
 * `failurePauseMs` and tries again.
 */
export class BackgroundLoop {
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  /**
   * @param what  what a pass does, for the warning ("settling tombstones")
   * @param pass  one pass; resolves with how long to pause before the next (0: none)
   */
  constructor(
    private readonly what: string,
    private readonly logger: Logger,
    private readonly pass: () => Promise<number>,
    private readonly failurePauseMs: number,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let pauseMs = this.failurePauseMs;
      try {
        pauseMs = await this.pass();
        failures = 0;
      } catch (error) {
        if (failures++ === 0) this.logger.warn(`${this.what} failed, will retry: ${(error as Error).message}`);
      }
      if (pauseMs > 0 && !this.stopped) await this.pause(pauseMs);
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
