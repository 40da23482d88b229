import { AcceptorStore } from './acceptor-store';
import { ForwardingAcceptorStore } from './forwarding-acceptor-store';
import { AcceptReply, AcceptRequest } from './messages';

/** Called with the version of a state just accepted or chosen for the key. Must not throw, must not block. */
export type KeyChangeListener = (version: number) => void;

/**
 * In-process hints that a key may have changed: "this node's acceptor stored
 * a state of version v for key K" (from every proposer in the cluster, in the
 * normal case), or "this node's proposer had a state of version v chosen for
 * K". A hint is never an answer: it may come for a state that is not chosen
 * (yet, or ever), and it may not come at all (a node cut off from the
 * proposer misses the accept). Listeners react by doing a linearizable read.
 * With no listener for a key, a notification costs one map lookup.
 */
export class KeyChangeSignals {
  private readonly listeners = new Map<string, Set<KeyChangeListener>>();

  notify(key: string, version: number): void {
    const listeners = this.listeners.get(key);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(version);
  }

  /** Listens to the key's hints until the returned function is called. */
  subscribe(key: string, listener: KeyChangeListener): () => void {
    let listeners = this.listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(key, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.listeners.get(key);
      if (!current?.delete(listener)) return;
      if (current.size === 0) this.listeners.delete(key);
    };
  }

  /** Keys with at least one listener. */
  get keysWatched(): number {
    return this.listeners.size;
  }
}

/**
 * The acceptor store, telling `signals` about every accept it stored (after
 * it is durable). Put in front of the store that serves this node's proposer
 * and its peers alike, so that accepts from every proposer are seen.
 */
export class SignallingAcceptorStore extends ForwardingAcceptorStore {
  constructor(
    store: AcceptorStore,
    private readonly signals: KeyChangeSignals,
  ) {
    super(store);
  }

  override async accept(requests: readonly AcceptRequest[]): Promise<AcceptReply[]> {
    const replies = await this.inner.accept(requests);
    replies.forEach((reply, index) => {
      const request = requests[index];
      if (reply.ok && request) this.signals.notify(request.key, request.state.version);
    });
    return replies;
  }
}
