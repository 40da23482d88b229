import { ScannedRegister } from './register-scanner';

/**
 * Where a catch-up gathers its copy, outside the acceptor's live store, until
 * the copy is complete (CatchUpService explains why the live store must stay
 * as it is until then).
 */
export abstract class CatchUpStaging {
  /** Forgets whatever an earlier attempt, or a run that crashed, left staged. */
  abstract clear(): Promise<void>;

  /** Stages registers, each key once across the whole attempt (a key staged twice is an error). */
  abstract add(registers: readonly ScannedRegister[]): Promise<void>;

  /**
   * In one atomic, durable step: raises every live register to its staged
   * copy (the higher promise; the staged state only where its accepted ballot
   * is higher), records `incarnation` as caught up, and empties the staging.
   * A failure or a crash leaves the live store, the caught-up mark and the
   * staged copy as they were.
   */
  abstract switchIn(incarnation: string): Promise<void>;
}
