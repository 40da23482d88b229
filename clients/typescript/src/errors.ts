import type { ErrorBody } from './wire';

/** Every error the client throws for an answer, or for the lack of one. */
export class KvError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when a node answered. */
    readonly status: number | undefined,
    /** The node's error body, when a node answered with one. */
    readonly body: ErrorBody | undefined,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 404: no such key. `version` is the version of its delete or expiry, when it had one. */
export class NotFound extends KvError {
  constructor(
    readonly key: string,
    readonly version: number | undefined,
    body: ErrorBody | undefined,
  ) {
    super(body?.message ?? `no such key: ${key}`, 404, body);
  }
}

/** 412: an ifMatch or ifNoneMatch condition did not hold; nothing was written. */
export class PreconditionFailed extends KvError {
  constructor(body: ErrorBody | undefined) {
    super(body?.message ?? 'precondition failed', 412, body);
  }
}

/**
 * No node could do it: every node was unreachable or answered 503 (no
 * quorum, leaving, over a limit), or a node failed while it had the request.
 * When `mayHaveTakenEffect` is true a write may still be applied, so
 * repeating it blindly could apply it twice: read first, or write with ifMatch.
 */
export class Unavailable extends KvError {
  constructor(
    message: string,
    readonly mayHaveTakenEffect: boolean,
    status?: number,
    body?: ErrorBody,
  ) {
    super(message, status, body);
  }
}

/** Any other 4xx: the request itself is wrong (malformed, too large, ...); repeating it will not help. */
export class RequestRejected extends KvError {}
