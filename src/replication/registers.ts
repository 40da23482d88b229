import { ChangeFn } from './core/change';
import { KeyRange } from './core/key-range';
import { ListPage } from './core/key-lister';
import { RegisterState } from './core/register';

/**
 * The replicated registers as the storage service sees them: every call is a
 * quorum operation on the cluster (a cluster of one is a quorum of one).
 * Implemented by the ReplicationModule; the storage service knows no more.
 */
export abstract class Registers {
  /**
   * Applies a pure change to a key's current value and returns its result once
   * a majority stored the new state. A change that decides not to write (a
   * failed precondition) returns the current state unchanged; it is still
   * confirmed by the quorum, so its answer is never based on a stale value.
   * Deadlines are absolute (Date.now() ms); the default is REQUEST_TIMEOUT_MS from now.
   */
  abstract change<R>(key: string, change: ChangeFn<R>, deadlineMs?: number): Promise<R>;
  /** Linearizable read: the latest acknowledged write or something newer. */
  abstract read(key: string, deadlineMs?: number): Promise<RegisterState>;
  /** A linearizable read only if a majority agree at once (one round trip, no writes); undefined otherwise. */
  abstract readIfAgreed(key: string, deadlineMs?: number): Promise<RegisterState | undefined>;
  /** This node's copy only; may be stale. */
  abstract readLocal(key: string): Promise<RegisterState>;
  /** Present keys of a range, each as a linearizable read would return it (not a snapshot across keys). */
  abstract list(range: KeyRange, limit: number, deadlineMs?: number): Promise<ListPage>;
  /** This node's copies only, like readLocal. */
  abstract listLocal(range: KeyRange, limit: number): Promise<ListPage>;
}
