import { compareKeys } from './key-range';

/**
 * Where an event sits in the change feed, which every node orders the same
 * way: by stamp, then by key (docs/protocol.md, "Watching"). A position
 * without a key is a frontier: after every event with that stamp.
 */
export interface FeedPosition {
  readonly stamp: number;
  /** Undefined: after every key at this stamp. */
  readonly key?: string;
}

/** One chosen state with a new version, as watchers see it. */
export interface FeedEvent {
  readonly stamp: number;
  readonly key: string;
  readonly version: number;
  readonly present: boolean;
  /** Meaningless when `present` is false. */
  readonly value: unknown;
  /** When the key expires (ms since the epoch), for a present key written with a TTL. */
  readonly expiresAt?: number;
}

/** Feed order: stamp, then key (in the store's byte order, as JavaScript's order of UTF-16 is not). */
export function compareFeedPositions(a: FeedPosition, b: FeedPosition): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  if (a.key === b.key) return 0;
  if (a.key === undefined) return 1;
  if (b.key === undefined) return -1;
  return compareKeys(a.key, b.key);
}

/**
 * An SSE event id: the stamp in decimal, and for an event its key in
 * base64url (ids must not hold newlines, keys may). Opaque to clients.
 */
export function encodeFeedPosition(position: FeedPosition): string {
  const stamp = String(position.stamp);
  return position.key === undefined ? stamp : `${stamp}.${Buffer.from(position.key, 'utf8').toString('base64url')}`;
}

/** The position an id names, or undefined for anything encodeFeedPosition cannot have made. */
export function decodeFeedPosition(id: string): FeedPosition | undefined {
  const match = /^(0|[1-9][0-9]{0,15})(?:\.([A-Za-z0-9_-]*))?$/.exec(id);
  if (match === null) return undefined;
  const stamp = Number(match[1]);
  if (!Number.isSafeInteger(stamp)) return undefined;
  if (match[2] === undefined) return { stamp };
  const key = Buffer.from(match[2], 'base64url').toString('utf8');
  // Only the canonical encoding of a well-formed key is accepted, so one position has one id.
  if (Buffer.from(key, 'utf8').toString('base64url') !== match[2]) return undefined;
  return { stamp, key };
}
