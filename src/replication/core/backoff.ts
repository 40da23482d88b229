export interface BackoffPolicy {
  /** Upper bound of the first delay. */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
}

/**
 * Exponential backoff with full jitter: the delay is uniform in
 * [0, min(max, base * 2^attempt)). Full jitter spreads competing proposers
 * apart, so that duelling prepares stop pre-empting each other.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}
