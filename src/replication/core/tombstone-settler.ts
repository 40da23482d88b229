import { AcceptorStore } from './acceptor-store';
import { Ballot } from './ballot';
import { PeekReply } from './messages';
import { AcceptorClient } from './transport';

export interface TombstoneSettlerOptions {
  /** This node's own store: the rows this settler marks. */
  readonly store: AcceptorStore;
  /** Every acceptor of the cluster, this node's own included. */
  readonly acceptors: readonly AcceptorClient[];
  /** A full round that writes back the key's chosen state (an identity change). */
  readonly rewrite: (key: string, deadlineMs: number) => Promise<unknown>;
  readonly batchSize?: number;
  readonly callTimeoutMs?: number;
}

export interface SettlePass {
  readonly examined: number;
  readonly settled: number;
  readonly rewritten: number;
  /** Whether the pass reached the end of this node's unsettled tombstones (the next starts over). */
  readonly wrapped: boolean;
}

/**
 * Marks this node's tombstones settled once they are proven chosen, so that
 * listings skip them (KeyLister). The proof is the one a read uses: a
 * majority of acceptors report the same accepted ballot, whose state is the
 * tombstone. The store then clears the mark only if its row is still a
 * tombstone at that ballot or below: a row that accepted something newer since
 * is unsettled again.
 *
 * A tombstone the majority does not agree on (a delete that reached only some
 * acceptors, or one overtaken by a newer write that missed this node) would
 * stay listable for ever and cost every listing a read: when it is found so
 * twice in a row, a full round writes the key's chosen state back to every
 * acceptor, after which it is either settled or no longer a tombstone here.
 */
export class TombstoneSettler {
  private readonly quorumSize: number;
  private readonly batchSize: number;
  private readonly callTimeoutMs: number;
  private after: string | null = null;
  /** Keys found without agreement in the previous pass over them. */
  private disagreed = new Set<string>();

  constructor(private readonly options: TombstoneSettlerOptions) {
    this.quorumSize = Math.floor(options.acceptors.length / 2) + 1;
    this.batchSize = options.batchSize ?? 500;
    this.callTimeoutMs = options.callTimeoutMs ?? 1000;
  }

  /** Examines the next batch of this node's unsettled tombstones. */
  async settleNextBatch(deadlineMs: number): Promise<SettlePass> {
    const rows = await this.options.store.unsettledTombstones(this.after, this.batchSize);
    const wrapped = rows.length < this.batchSize;
    this.after = wrapped ? null : rows[rows.length - 1]!.key;
    if (rows.length === 0) return { examined: 0, settled: 0, rewritten: 0, wrapped };

    const keys = rows.map((row) => row.key);
    const timeoutMs = Math.max(1, Math.min(this.callTimeoutMs, deadlineMs - Date.now()));
    const answers = await Promise.allSettled(this.options.acceptors.map((a) => a.peek(keys, timeoutMs)));
    const replies = answers.flatMap((answer) =>
      answer.status === 'fulfilled' && answer.value.length === keys.length ? [answer.value] : [],
    );

    const proven: Array<{ key: string; ballot: Ballot }> = [];
    const toRewrite: string[] = [];
    keys.forEach((key, i) => {
      const chosen = agreedReply(
        replies.map((reply) => reply[i]!).filter((reply) => reply.key === key),
        this.quorumSize,
      );
      if (chosen && !chosen.state.present) {
        proven.push({ key, ballot: chosen.accepted });
        this.disagreed.delete(key);
      } else if (this.disagreed.has(key)) {
        toRewrite.push(key);
        this.disagreed.delete(key);
      } else {
        this.disagreed.add(key);
      }
    });
    await this.options.store.settle(proven);
    // Failures are left for a later pass: a rewrite is maintenance, never anyone's answer.
    const rewrites = await Promise.allSettled(toRewrite.map((key) => this.options.rewrite(key, deadlineMs)));
    if (this.disagreed.size > 10 * this.batchSize) this.disagreed = new Set(); // bounded memory; it only delays a rewrite
    return {
      examined: keys.length,
      settled: proven.length,
      rewritten: rewrites.filter((r) => r.status === 'fulfilled').length,
      wrapped,
    };
  }
}

/** The reply that a majority report alike by accepted ballot, if any. */
function agreedReply(replies: readonly PeekReply[], quorumSize: number): PeekReply | undefined {
  const counts = new Map<Ballot, number>();
  for (const reply of replies) {
    const count = (counts.get(reply.accepted) ?? 0) + 1;
    if (count >= quorumSize) return reply;
    counts.set(reply.accepted, count);
  }
  return undefined;
}
