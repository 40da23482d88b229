import { compareKeys, inRange, KeyRange } from './key-range';
import { ReplicationError } from './errors';
import { PeekReply } from './messages';
import { awaitQuorum, nodesWithStatus, repliesOf } from './quorum';
import { RegisterState } from './register';
import { AcceptorClient } from './transport';

export interface ListedRegister {
  readonly key: string;
  readonly state: RegisterState;
}

export interface ListPage {
  /** Present keys only, in key order. */
  readonly entries: readonly ListedRegister[];
  /** The last key this page covered, to continue after; null when the range is done. */
  readonly next: string | null;
}

export interface KeyListerOptions {
  readonly acceptors: readonly AcceptorClient[];
  /** A linearizable read of one key: what settles a key the replicas disagree on. */
  readonly read: (key: string, deadlineMs: number) => Promise<RegisterState>;
  readonly callTimeoutMs?: number;
  readonly now?: () => number;
}

/**
 * Lists a range of keys, each key linearizable on its own (not a snapshot
 * across keys), at the cost of one call to a majority of acceptors and a
 * read for each key they do not agree on. docs/protocol.md ("Listing") has
 * the argument; in short:
 *
 * - Each acceptor returns its first `limit` listable registers in the range:
 *   present ones, and tombstones not yet known to be chosen. A tombstone an
 *   acceptor knows to be settled (chosen, proven by a majority; see
 *   TombstoneSettler) is left out, so a page never wades through old deletes.
 * - Where every acceptor of the answering majority lists a key at the same
 *   accepted ballot, that state is chosen: no further call.
 * - Where they differ, the key is read as a GET would read it.
 * - A key no acceptor of the majority lists is absent at some moment of the
 *   request: the majority includes an acceptor of its latest chosen value, and
 *   that acceptor holds either the value (and would list it) or a settled
 *   tombstone that was chosen after the request began.
 */
export class KeyLister {
  readonly quorumSize: number;
  private readonly acceptors: readonly AcceptorClient[];
  private readonly read: (key: string, deadlineMs: number) => Promise<RegisterState>;
  private readonly callTimeoutMs: number;
  private readonly now: () => number;

  constructor(options: KeyListerOptions) {
    if (options.acceptors.length === 0) throw new RangeError('a lister needs at least one acceptor');
    this.acceptors = options.acceptors;
    this.quorumSize = Math.floor(options.acceptors.length / 2) + 1;
    this.read = options.read;
    this.callTimeoutMs = options.callTimeoutMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  async list(range: KeyRange, limit: number, deadlineMs: number): Promise<ListPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`bad page size ${limit}`);
    const timeoutMs = Math.min(this.callTimeoutMs, deadlineMs - this.now());
    if (timeoutMs <= 0) throw ReplicationError.quorumUnreachable('deadline passed before the listing started', []);

    const outcome = await awaitQuorum(
      this.acceptors.map((acceptor) => ({
        nodeId: acceptor.nodeId,
        call: async () => ownPage(await acceptor.list(range, limit, timeoutMs), range, limit),
      })),
      this.quorumSize,
      () => true,
    );
    if (!outcome.reached) {
      throw ReplicationError.quorumUnreachable(
        'no majority of acceptors answered the listing',
        nodesWithStatus(outcome.answers, 'failed'),
      );
    }
    const pages = repliesOf(outcome.answers);

    // Past the last key of a full page, that acceptor was not asked: only keys up to it are known everywhere.
    const bound = pages
      .filter((page) => page.length === limit)
      .map((page) => page[page.length - 1]!.key)
      .reduce<string | undefined>(
        (low, key) => (low === undefined || compareKeys(key, low) < 0 ? key : low),
        undefined,
      );

    const byKey = new Map<string, PeekReply[]>();
    for (const page of pages) {
      for (const reply of page) {
        if (bound !== undefined && compareKeys(reply.key, bound) > 0) continue;
        byKey.set(reply.key, [...(byKey.get(reply.key) ?? []), reply]);
      }
    }
    const candidates = [...byKey.keys()].sort(compareKeys);

    // Walk in order until `limit` keys may be present; keys after that are left to the next page.
    const decided: Array<{ key: string; state: RegisterState | undefined }> = [];
    let mayBePresent = 0;
    for (const key of candidates) {
      if (mayBePresent === limit) break;
      const replies = byKey.get(key)!;
      const agreed = replies.length === pages.length && replies.every((r) => r.accepted === replies[0]!.accepted);
      const state = agreed ? replies[0]!.state : undefined;
      if (state === undefined || state.present) mayBePresent++;
      decided.push({ key, state });
    }
    const cutShort = decided.length < candidates.length;

    const states = await Promise.all(
      decided.map(async ({ key, state }) => state ?? (await this.read(key, deadlineMs))),
    );
    const entries = decided.flatMap(({ key }, i) => (states[i]!.present ? [{ key, state: states[i]! }] : []));
    const next = cutShort ? decided[decided.length - 1]!.key : (bound ?? null);
    return { entries, next };
  }
}

/** A page as its acceptor must send it (in range, in key order, each key once, at most `limit`): else no answer. */
function ownPage(replies: readonly PeekReply[], range: KeyRange, limit: number): readonly PeekReply[] {
  if (replies.length > limit) throw new Error('a listing page longer than asked');
  replies.forEach((reply, i) => {
    if (!inRange(reply.key, range)) throw new Error('a listing page with a key out of range');
    if (i > 0 && compareKeys(replies[i - 1]!.key, reply.key) >= 0) throw new Error('a listing page out of key order');
  });
  return replies;
}
