/**
 * A write with a TTL is followed, some time after its expiresAt, by a delete
 * the store makes itself: a quorum delete that takes effect only while the key
 * still holds that write's value (a later write replaces the expiry). No client
 * records it, so the checker adds it to the history as an operation that may
 * take effect at any moment from the earliest time the key may expire on, or
 * never: what the README promises (at most 1 s late while a majority is up) is
 * measured by bench/expiry-delay.ts, not judged here.
 *
 * The earliest moment: the expiresAt the store answered with, or, for a write
 * whose answer was lost (it may take effect long after it was sent, and its
 * TTL counts from then), its invocation plus the TTL. Either less a margin for
 * the clocks of separate processes of one machine: permissive, never stricter.
 */
import type { Operation, MutationResult } from './history';

/** Room for clock differences between the nodes and the history (same machine). */
export const EXPIRY_CLOCK_MARGIN_MS = 250;

/** The operations of a history with the store's expiries added, each after the write it expires. */
export function withExpiries(operations: readonly Operation[]): Operation[] {
  const all: Operation[] = [];
  for (const operation of operations) {
    all.push(operation);
    const expiry = expiryOf(operation);
    if (expiry !== undefined) all.push(expiry);
  }
  return all;
}

function expiryOf(operation: Operation): Operation | undefined {
  const { op } = operation;
  if (!('ttlSeconds' in op) || op.ttlSeconds === undefined || operation.status === 'fail') return undefined;
  const answered = operation.status === 'ok' ? (operation.result as MutationResult | undefined)?.expiresAt : undefined;
  const earliest = answered ?? operation.invokeTime + op.ttlSeconds * 1000;
  return {
    // Negative ids never clash with the recorder's, and name the write in a report.
    id: -operation.id,
    client: 'expirer',
    key: operation.key,
    op: { f: 'expire', value: op.value },
    status: 'info',
    error: `expiry of #${operation.id}`,
    invokeTime: earliest - EXPIRY_CLOCK_MARGIN_MS,
  };
}
