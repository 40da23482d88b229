/**
 * A write with a TTL is followed, some time after its expiresAt, by a delete
 * the store makes itself: a quorum delete that takes effect only while the key
 * still holds that write's value (a later write replaces the expiry). No client
 * records it; the model lets it happen at any moment from the earliest time
 * the key may expire on, or never (model.ts, `expire`; linearize.ts tries it).
 * What the README promises (at most 1 s late while a majority is up) is
 * measured by bench/expiry-delay.ts, not judged here.
 *
 * The earliest moment: the expiresAt the store answered with, or, for a write
 * whose answer was lost (it may take effect long after it was sent, and its
 * TTL counts from then), its invocation plus the TTL. Either less a margin for
 * the clocks of separate processes of one machine: permissive, never stricter.
 */
import type { MutationResult, Operation } from './history';

/** Room for clock differences between the nodes and the history (same machine). */
export const EXPIRY_CLOCK_MARGIN_MS = 250;

/** From when the store may delete what `operation` wrote (history ms); undefined without a TTL. */
export function earliestExpiry(operation: Operation): number | undefined {
  const { op } = operation;
  if (!('ttlSeconds' in op) || op.ttlSeconds === undefined) return undefined;
  const answered = operation.status === 'ok' ? (operation.result as MutationResult | undefined)?.expiresAt : undefined;
  return (answered ?? operation.invokeTime + op.ttlSeconds * 1000) - EXPIRY_CLOCK_MARGIN_MS;
}
