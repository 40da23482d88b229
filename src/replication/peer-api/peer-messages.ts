import { BadRequestException } from '@nestjs/common';
import { isBallot } from '../core/ballot';
import { AcceptRequest, PrepareRequest } from '../core/messages';
import { isWellFormedText } from '../../common/well-formed-text';
import { isValidNodeId } from '../../common/node-id';
import { FeedBatch } from '../core/feed-batch';
import { KeyRange } from '../core/key-range';
import { LINEAGE_LIMIT, RegisterState } from '../core/register';

/**
 * Peer messages are checked by hand rather than with class-validator: they
 * come only from authenticated peers, carry thousands of items, and sit on the
 * hot path. A malformed one is still a clean 400 that changes nothing.
 */
export interface PrepareBody {
  requests: PrepareRequest[];
}
export interface AcceptBody {
  requests: AcceptRequest[];
}
export interface PeekBody {
  keys: string[];
}

export function parsePrepareBody(body: unknown): PrepareBody {
  const requests = listOf(body, 'requests');
  requests.forEach((item, index) => {
    const at = `requests[${index}]`;
    const request = objectAt(item, at);
    requireKey(request.key, `${at}.key`);
    requireBallot(request.ballot, `${at}.ballot`, false);
  });
  requireUniqueKeys(requests as PrepareRequest[]);
  return { requests: requests as PrepareRequest[] };
}

export function parseAcceptBody(body: unknown): AcceptBody {
  const requests = listOf(body, 'requests');
  requests.forEach((item, index) => {
    const at = `requests[${index}]`;
    const request = objectAt(item, at);
    requireKey(request.key, `${at}.key`);
    requireBallot(request.ballot, `${at}.ballot`, false);
    if (request.next !== undefined && request.next !== null) {
      requireBallot(request.next, `${at}.next`, false);
      if ((request.next as string) <= (request.ballot as string)) invalid(`${at}.next must be greater than ballot`);
    }
    requireState(request.state, request.ballot as string, `${at}.state`);
  });
  requireUniqueKeys(requests as AcceptRequest[]);
  return { requests: requests as AcceptRequest[] };
}

export function parsePeekBody(body: unknown): PeekBody {
  const keys = listOf(body, 'keys');
  keys.forEach((key, index) => requireKey(key, `keys[${index}]`));
  return { keys: keys as string[] };
}

function listOf(body: unknown, field: string): unknown[] {
  const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(list)) invalid(`${field} must be an array`);
  return list;
}

function objectAt(item: unknown, at: string): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) invalid(`${at} must be an object`);
  return item as Record<string, unknown>;
}

function requireKey(key: unknown, at: string): void {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.includes('\u0000') ||
    !isWellFormedText(key) ||
    Buffer.byteLength(key) > 1024
  ) {
    invalid(`${at} must be a key of 1-1024 bytes of valid Unicode`);
  }
}

function requireBallot(ballot: unknown, at: string, zeroAllowed: boolean): void {
  if (!isBallot(ballot) || (!zeroAllowed && ballot === '')) invalid(`${at} must be a ballot`);
}

/** A state to be stored at `ballot`. */
function requireState(state: unknown, ballot: string, at: string): void {
  const s = objectAt(state, at) as { -readonly [F in keyof RegisterState]?: unknown };
  if (typeof s.present !== 'boolean') invalid(`${at}.present must be a boolean`);
  if (!Number.isSafeInteger(s.version) || (s.version as number) < 0) invalid(`${at}.version must be a whole number`);
  if (s.present && s.value === undefined) invalid(`${at}.value is required when present`);
  requireExpiry(s, at);
  // A change-feed stamp (µs); a peer on the release before stamps sends none.
  if (s.stamp === null) delete s.stamp;
  if (s.stamp !== undefined) requireCount(s.stamp, `${at}.stamp`, 0);
  // A peer on the release before lineages sends none: stored as "not known", which is always safe.
  if (s.lineage === undefined) s.lineage = [];
  requireLineage(s.lineage, ballot, `${at}.lineage`);
}

/**
 * An expiry is a whole, positive number of ms since the epoch, on a present
 * state only (a tombstone cannot expire). Null is read as none, and dropped so
 * that a state without an expiry has no such field, as everywhere else.
 */
function requireExpiry(s: { present?: unknown; expiresAt?: unknown }, at: string): void {
  if (s.expiresAt === null) delete s.expiresAt;
  if (s.expiresAt === undefined) return;
  if (!Number.isSafeInteger(s.expiresAt) || (s.expiresAt as number) <= 0)
    invalid(`${at}.expiresAt must be a whole number of ms since the epoch`);
  if (s.present !== true) invalid(`${at}.expiresAt is allowed only on a present state`);
}

/**
 * Change ids, strictly decreasing (so the origin's empty id can only come
 * last), none above the ballot the state is stored at (a state's own change
 * id is the ballot it was first proposed at), at most LINEAGE_LIMIT of them.
 */
function requireLineage(lineage: unknown, ballot: string, at: string): void {
  if (!Array.isArray(lineage) || lineage.length > LINEAGE_LIMIT)
    invalid(`${at} must be a list of at most ${LINEAGE_LIMIT} ballots`);
  let above = ballot;
  lineage.forEach((id: unknown, index) => {
    requireBallot(id, `${at}[${index}]`, true);
    if (index === 0 ? (id as string) > above : (id as string) >= above) {
      invalid(`${at} must be decreasing and not above the ballot`);
    }
    above = id as string;
  });
}

function requireUniqueKeys(requests: ReadonlyArray<{ key: string }>): void {
  const seen = new Set<string>();
  for (const { key } of requests) {
    if (seen.has(key)) invalid(`key ${JSON.stringify(key)} appears twice in one batch`);
    seen.add(key);
  }
}

function invalid(message: string): never {
  throw new BadRequestException(`peer message: ${message}`);
}

/** A listing page: the range as KeyRange, keys where keys are expected. */
export function parseListBody(body: unknown): { range: KeyRange; limit: number } {
  const fields = objectAt(body, 'body');
  const range = objectAt(fields.range, 'range');
  if (typeof range.from !== 'string') invalid('range.from must be a string');
  if (range.from !== '') requireKey(range.from, 'range.from');
  if (typeof range.fromInclusive !== 'boolean') invalid('range.fromInclusive must be a boolean');
  if (range.end !== undefined) requireKey(range.end, 'range.end');
  if (range.prefix !== undefined) requireKey(range.prefix, 'range.prefix');
  const limit = fields.limit;
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > 10_000)
    invalid('limit must be 1-10000');
  return {
    range: {
      from: range.from,
      fromInclusive: range.fromInclusive,
      ...(range.end !== undefined && { end: range.end as string }),
      ...(range.prefix !== undefined && { prefix: range.prefix as string }),
    },
    limit: limit as number,
  };
}

export function parseScanBody(body: unknown): { after: string | null; limit: number } {
  const fields = objectAt(body, 'body');
  const after = fields.after ?? null;
  if (after !== null) requireKey(after, 'after');
  const limit = fields.limit;
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > 10_000)
    invalid('limit must be 1-10000');
  return { after: after as string | null, limit: limit as number };
}

/** A peer's word that it is stopping (routing/departure.ts). */
export function parseLeavingBody(body: unknown): { node: string } {
  const fields = objectAt(body, 'body');
  if (typeof fields.node !== 'string' || !isValidNodeId(fields.node)) invalid('node must be a node id');
  return { node: fields.node };
}

/** Consecutive batches of a proposer's change-feed stream (docs/protocol.md, "Watching"). */
export function parseFeedBatches(body: unknown): FeedBatch[] {
  return listOf(body, 'batches').map((item, index) => parseFeedBatch(item, `batches[${index}]`));
}

function parseFeedBatch(body: unknown, at: string): FeedBatch {
  const batch = objectAt(body, at);
  if (typeof batch.source !== 'string' || !isValidNodeId(batch.source)) invalid(`${at}.source must be a node id`);
  if (typeof batch.epoch !== 'string' || batch.epoch.length === 0 || batch.epoch.length > 64)
    invalid(`${at}.epoch must be a string of 1-64 characters`);
  requireCount(batch.seq, `${at}.seq`, 1);
  requireCount(batch.closed, `${at}.closed`, 0);
  requireCount(batch.issued, `${at}.issued`, 0);
  if (batch.gapFrom !== undefined) requireCount(batch.gapFrom, `${at}.gapFrom`, 0);
  const events = listOf(body, 'events');
  events.forEach((item, index) => {
    const eventAt = `${at}.events[${index}]`;
    const event = objectAt(item, eventAt);
    requireCount(event.stamp, `${eventAt}.stamp`, 0);
    requireKey(event.key, `${eventAt}.key`);
    requireCount(event.version, `${eventAt}.version`, 1);
    if (typeof event.present !== 'boolean') invalid(`${eventAt}.present must be a boolean`);
    if (event.present && event.value === undefined) invalid(`${eventAt}.value is required when present`);
    if (event.expiresAt !== undefined) requireCount(event.expiresAt, `${eventAt}.expiresAt`, 1);
  });
  return body as FeedBatch;
}

function requireCount(value: unknown, at: string, least: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < least) invalid(`${at} must be a whole number >= ${least}`);
}

/** A request for the batches a peer kept of a proposer's stream. */
export function parseFeedRelayBody(body: unknown): { source: string; epoch: string | undefined; afterSeq: number } {
  const fields = objectAt(body, 'body');
  if (typeof fields.source !== 'string' || !isValidNodeId(fields.source)) invalid('source must be a node id');
  const epoch = fields.epoch ?? undefined;
  if (epoch !== undefined && (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 64))
    invalid('epoch must be null or a string of 1-64 characters');
  requireCount(fields.afterSeq, 'afterSeq', 0);
  return { source: fields.source, epoch: epoch, afterSeq: fields.afterSeq as number };
}
