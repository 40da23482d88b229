/**
 * What a node remembers about itself across restarts, kept beside its
 * registers (the same disk: lose one and you lose both, which is the point
 * of the incarnation).
 */
export abstract class NodeMeta {
  /**
   * Counts this start and returns the count. It becomes part of every ballot
   * this run makes, so ballots never repeat across restarts.
   */
  abstract nextBoot(): Promise<number>;

  /**
   * This database's identity, made on its first use. A node whose incarnation
   * is new has a new (or wiped) database: it remembers no promise it made.
   */
  abstract incarnation(): Promise<string>;

  /** Whether this incarnation has caught up from its peers, and so may vote. */
  abstract hasCaughtUp(incarnation: string): Promise<boolean>;

  /** Records that this incarnation caught up (or never needed to): its acceptor votes from now on. */
  abstract markCaughtUp(incarnation: string): Promise<void>;
}
