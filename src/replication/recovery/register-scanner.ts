import { Ballot } from '../core/ballot';
import { RegisterState } from '../core/register';

export interface ScannedRegister {
  readonly key: string;
  readonly promised: Ballot;
  readonly accepted: Ballot;
  readonly state: RegisterState;
}

/** Reads every register an acceptor holds, in key order, a page at a time: what a recovering peer copies. */
export abstract class RegisterScanner {
  /** Registers with a promise or an accepted value and a key after `afterKey` (all when null), at most `limit`. */
  abstract scan(afterKey: string | null, limit: number): Promise<ScannedRegister[]>;

  /** The same page as the JSON text of its array, ready to send: what the peer API serves. */
  abstract scanJson(afterKey: string | null, limit: number): Promise<string>;
}
