import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KeyChangeSignals } from '../replication/core/key-change-signals';
import { ReadOutcome, VersionWaiters } from '../replication/core/version-waiters';
import { KeyNotFoundError } from './kv.errors';
import { Entry, KvService } from './kv.service';

/**
 * How often a key with long polls on it is read even when no signal came: the
 * bound on how late a node that missed the change's accept (cut off from its
 * proposer, or its acceptor too slow) answers. Each waited-on key costs one
 * linearizable read per interval, however many waiters it has.
 */
export const LONG_POLL_RECHECK_MS = 3000;

export interface LongPoll {
  readonly waitSeconds: number;
  /** Undefined: wait past the version the first read finds. */
  readonly afterVersion?: number;
}

/**
 * GET with waitSeconds: waits for a key's version to pass afterVersion.
 * Every answer is a linearizable GET made after the request arrived (through
 * KvService.get, like any GET), shared by all waiters on the key.
 */
@Injectable()
export class LongPollService implements BeforeApplicationShutdown {
  private readonly waiters: VersionWaiters<Entry | KeyNotFoundError>;

  constructor(kv: KvService, signals: KeyChangeSignals, @Inject(APP_CONFIG) config: AppConfig) {
    this.waiters = new VersionWaiters({
      signals,
      read: (key) => readForWaiters(kv, key),
      recheckMs: LONG_POLL_RECHECK_MS,
      maxWaiters: config.maxLongPolls,
    });
  }

  /**
   * The entry as a GET answers it, or throws as a GET does (KeyNotFoundError,
   * with the tombstone's version; ReplicationError). Undefined when the client
   * went away (`abort`) before the answer.
   */
  async wait(key: string, poll: LongPoll, abort: AbortSignal): Promise<Entry | undefined> {
    const outcome = await this.waiters.wait({
      key,
      afterVersion: poll.afterVersion,
      waitMs: poll.waitSeconds * 1000,
      abort,
    });
    if (outcome === undefined) return undefined;
    if (!outcome.ok) throw outcome.error;
    if (outcome.result instanceof KeyNotFoundError) throw outcome.result;
    return outcome.result;
  }

  /** Long polls open on this node now. */
  get open(): number {
    return this.waiters.open;
  }

  /**
   * Open waits would hold the server open past its shutdown grace: each is
   * answered now with the current state (as if its time were up), and new ones
   * are refused with 503 (a proxy retries them on another node). Runs when the
   * shutdown begins, before the readiness drain.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.waiters.close();
  }
}

async function readForWaiters(kv: KvService, key: string): Promise<ReadOutcome<Entry | KeyNotFoundError>> {
  try {
    const entry = await kv.get(key);
    return { ok: true, version: entry.version, result: entry };
  } catch (error) {
    // Absent is an answer: at its tombstone's version, or 0 for a key never written.
    if (error instanceof KeyNotFoundError) return { ok: true, version: error.version ?? 0, result: error };
    return { ok: false, error };
  }
}
