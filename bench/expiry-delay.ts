/**
 * How long after its expiresAt a key with a TTL reads as absent:
 * `npm run build && node -r @swc-node/register bench/expiry-delay.ts`.
 *
 * A three-node cluster (embedded PostgreSQL each). Three runs:
 * - spaced: keys with ttlSeconds 1 written one at a time, 40 ms apart, through
 *   the nodes in turn;
 * - burst: keys written in one batch, so that they all expire within a few ms
 *   (a sample of them polled);
 * - preferred node down: keys whose preferred node is n3, written, then n3
 *   killed with SIGKILL before they expire (the others expire them).
 * Each key is polled with linearizable GETs on a node other than the one that
 * wrote it, every POLL_MS from just before its expiry; its delay is the time of
 * the first 404 minus its expiresAt (so it includes up to POLL_MS of polling
 * granularity and one GET's latency).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rendezvousChoice } from '../src/replication/routing/key-router';
import { NodeFleet, KvNode } from './node-processes';
import { describeMachine, formatMachine } from './report';
import { median, percentileOfSorted } from './stats';

const POLL_MS = 5;
const SPACED_KEYS = 100;
const BURST_KEYS = 300;
const BURST_SAMPLE = 30;
const ORPHAN_KEYS = 20;

interface Written {
  readonly key: string;
  readonly expiresAt: number;
}

async function main(): Promise<void> {
  const fleet = await NodeFleet.create();
  process.once('SIGINT', () => void fleet.stopAll().then(() => process.exit(130)));
  const results: Array<[string, number[]]> = [];
  try {
    const { nodes } = await fleet.startTarget('expiry', 3);
    const ids = ['n1', 'n2', 'n3'];
    const node = (id: string) => nodes[ids.indexOf(id)]!;

    const spaced: Array<Promise<number>> = [];
    for (let i = 0; i < SPACED_KEYS; i++) {
      const writer = nodes[i % 3]!;
      const written = await put(writer, `spaced/${i}`, 1);
      spaced.push(delayUntilGone(nodes[(i + 1) % 3]!, written));
      await sleep(40);
    }
    results.push(['spaced, one key every 40 ms', await Promise.all(spaced)]);

    const burst = await batch(
      nodes[0]!,
      Array.from({ length: BURST_KEYS }, (_, i) => `burst/${i}`),
      1,
    );
    // Only a sample is polled: 300 pollers every few ms would load the nodes more than the expiry does.
    const sample = burst.filter((_, i) => i % (BURST_KEYS / BURST_SAMPLE) === 0);
    results.push([
      `burst, ${BURST_KEYS} keys in one batch (${sample.length} of them polled)`,
      await Promise.all(sample.map((written, i) => delayUntilGone(nodes[1 + (i % 2)]!, written))),
    ]);

    const orphans = Array.from({ length: 400 }, (_, i) => `orphan/${i}`)
      .filter((key) => rendezvousChoice(key, ids) === 'n3')
      .slice(0, ORPHAN_KEYS);
    const writtenOrphans = await Promise.all(orphans.map((key) => put(node('n1'), key, 2)));
    await node('n3').kill({ alsoEmbeddedPostgres: true });
    results.push([
      `preferred node (n3) killed, ${orphans.length} keys`,
      await Promise.all(writtenOrphans.map((written, i) => delayUntilGone(node(i % 2 ? 'n1' : 'n2'), written))),
    ]);
  } finally {
    await fleet.stopAll();
  }
  console.log(formatMachine(describeMachine()));
  console.log(`delay from expiresAt to the first 404 (linearizable GET polled every ${POLL_MS} ms), ms:`);
  for (const [name, delays] of results) {
    const sorted = [...delays].sort((a, b) => a - b);
    console.log(
      `  ${name}: n=${sorted.length} min ${sorted[0]} median ${median(sorted)} ` +
        `p90 ${percentileOfSorted(sorted, 90)} p99 ${percentileOfSorted(sorted, 99)} max ${sorted.at(-1)}`,
    );
  }
}

async function put(node: KvNode, key: string, ttlSeconds: number): Promise<Written> {
  const response = await fetch(`${node.url}/kv-store/v1/kv/${encodeURIComponent(key)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: key, ttlSeconds }),
  });
  const body = (await response.json()) as { expiresAt?: string };
  if (!response.ok || !body.expiresAt) throw new Error(`PUT ${key}: ${response.status} ${JSON.stringify(body)}`);
  return { key, expiresAt: Date.parse(body.expiresAt) };
}

async function batch(node: KvNode, keys: string[], ttlSeconds: number): Promise<Written[]> {
  const response = await fetch(`${node.url}/kv-store/v1/kv/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: keys.map((key) => ({ key, value: key, ttlSeconds })) }),
  });
  const body = (await response.json()) as { results: Array<{ key: string; expiresAt?: string }> };
  return body.results.map(({ key, expiresAt }) => {
    if (!expiresAt) throw new Error(`batch item ${key} has no expiry: ${JSON.stringify(body)}`);
    return { key, expiresAt: Date.parse(expiresAt) };
  });
}

/** Polls from just before the expiry; the ms from expiresAt to the first 404. */
async function delayUntilGone(node: KvNode, { key, expiresAt }: Written): Promise<number> {
  await sleep(Math.max(0, expiresAt - 20 - Date.now()));
  for (;;) {
    const response = await fetch(`${node.url}/kv-store/v1/kv/${encodeURIComponent(key)}`);
    await response.arrayBuffer();
    if (response.status === 404) return Date.now() - expiresAt;
    if (response.status !== 200) throw new Error(`GET ${key} on ${node.name}: ${response.status}`);
    if (Date.now() > expiresAt + 30_000) throw new Error(`${key} still present 30 s after its expiry`);
    await sleep(POLL_MS);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
