/**
 * What a client sees when a node dies under load: `node -r @swc-node/register bench/failover.ts`
 * (after `npm run build`). A three-node cluster (embedded PostgreSQL each) takes unique-key writes from
 * 16 clients; after a few seconds one node is killed with SIGKILL. Measured twice: clients that talk to the
 * nodes directly (each starts on one node and moves to the next after a failed request), and clients behind
 * HAProxy with the shipped deploy/haproxy/haproxy.cfg (when `haproxy` is installed). Reports failed requests,
 * the longest time without any successful write, and acknowledged writes lost (read back afterwards).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../scripts/launcher/ports';
import { NodeFleet, Target } from './node-processes';
import { describeMachine, formatMachine, formatTable } from './report';
import { median, percentileOfSorted } from './stats';

const CLIENTS = 16;
const RUN_MS = 12_000;
const KILL_AT_MS = 4_000;
const CLIENT_TIMEOUT_MS = 5_000;

interface Sample {
  readonly client: number;
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
  readonly status: string;
  readonly key: string;
  readonly value: number;
}

interface Outcome {
  readonly mode: string;
  readonly requests: number;
  readonly failed: number;
  readonly failedStatuses: Record<string, number>;
  readonly longestPauseMs: number;
  readonly p50BeforeMs: number;
  readonly p99AfterMs: number;
  readonly maxLatencyMs: number;
  readonly acknowledged: number;
  readonly lost: number;
}

async function main(): Promise<void> {
  const fleet = await NodeFleet.create();
  const outcomes: Outcome[] = [];
  const stop = () => void fleet.stopAll().then(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    outcomes.push(await measure(fleet, 'direct'));
    if (spawnSync('haproxy', ['-v']).status === 0) outcomes.push(await measure(fleet, 'haproxy'));
    else console.log('haproxy is not installed: measured against the nodes directly only (apt-get install haproxy)');
  } finally {
    await fleet.stopAll();
  }
  console.log(formatMachine(describeMachine()));
  console.log(
    formatTable(
      [
        'clients via',
        'requests',
        'failed',
        'failures',
        'longest pause ms',
        'p50 before ms',
        'p99 after ms',
        'max ms',
        'acked',
        'acked lost',
      ],
      outcomes.map((o) => [
        o.mode,
        o.requests,
        o.failed,
        JSON.stringify(o.failedStatuses),
        o.longestPauseMs,
        o.p50BeforeMs,
        o.p99AfterMs,
        o.maxLatencyMs,
        o.acknowledged,
        o.lost,
      ]),
    ),
  );
  process.exitCode = outcomes.some((o) => o.lost > 0) ? 1 : 0;
}

async function measure(fleet: NodeFleet, mode: 'direct' | 'haproxy'): Promise<Outcome> {
  const target = await fleet.startTarget(`failover-${mode}`, 3);
  const haproxy = mode === 'haproxy' ? await startHaproxy(target, fleet.dataRoot) : undefined;
  try {
    const urls = haproxy ? [haproxy.url] : target.nodes.map((node) => node.url);
    const started = Date.now();
    const samples: Sample[] = [];
    const victim = target.nodes[1]!;
    const kill = sleep(KILL_AT_MS).then(() => victim.kill());
    await Promise.all(Array.from({ length: CLIENTS }, (_, client) => runClient(client, urls, started, samples)));
    await kill;
    const survivors = haproxy ? [haproxy.url] : target.nodes.filter((node) => node !== victim).map((node) => node.url);
    return summarise(mode, samples, started + KILL_AT_MS, await countLost(samples, survivors));
  } finally {
    haproxy?.process.kill('SIGTERM');
  }
}

async function runClient(client: number, urls: readonly string[], started: number, samples: Sample[]): Promise<void> {
  let node = client % urls.length;
  for (let i = 0; Date.now() - started < RUN_MS; i++) {
    const key = `failover-${client}-${i}`;
    const start = Date.now();
    let status: string;
    try {
      const response = await fetch(`${urls[node]}/kv-store/v1/kv/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: i }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      status = String(response.status);
    } catch (error) {
      status = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    }
    const ok = status === '200' || status === '201';
    samples.push({ client, start, end: Date.now(), ok, status, key, value: i });
    if (!ok) node = (node + 1) % urls.length; // a client that knows several nodes tries the next one
  }
}

/** Every acknowledged write must read back, from the nodes still running. */
async function countLost(samples: readonly Sample[], urls: readonly string[]): Promise<number> {
  let lost = 0;
  for (const [index, sample] of samples.filter((s) => s.ok).entries()) {
    const response = await fetch(`${urls[index % urls.length]}/kv-store/v1/kv/${sample.key}`);
    const body = (await response.json()) as { value?: unknown };
    if (response.status !== 200 || body.value !== sample.value) lost += 1;
  }
  return lost;
}

function summarise(mode: string, samples: readonly Sample[], killedAt: number, lost: number): Outcome {
  const failures = samples.filter((s) => !s.ok);
  const failedStatuses: Record<string, number> = {};
  for (const failure of failures) failedStatuses[failure.status] = (failedStatuses[failure.status] ?? 0) + 1;
  // The longest stretch of time in which no write anywhere succeeded.
  const successes = samples
    .filter((s) => s.ok)
    .map((s) => s.end)
    .sort((a, b) => a - b);
  let longestPauseMs = 0;
  for (let i = 1; i < successes.length; i++)
    longestPauseMs = Math.max(longestPauseMs, successes[i]! - successes[i - 1]!);
  const latency = (s: Sample) => s.end - s.start;
  const before = samples.filter((s) => s.end < killedAt).map(latency);
  const after = samples
    .filter((s) => s.start >= killedAt)
    .map(latency)
    .sort((a, b) => a - b);
  return {
    mode,
    requests: samples.length,
    failed: failures.length,
    failedStatuses,
    longestPauseMs,
    p50BeforeMs: median(before),
    p99AfterMs: after.length ? percentileOfSorted(after, 99) : 0,
    maxLatencyMs: Math.max(...samples.map(latency)),
    acknowledged: successes.length,
    lost,
  };
}

/** HAProxy with the shipped configuration, its server lines pointed at this run's nodes. */
async function startHaproxy(target: Target, directory: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const shipped = readFileSync(path.resolve(__dirname, '..', 'deploy', 'haproxy', 'haproxy.cfg'), 'utf8');
  let server = 0;
  const config = shipped
    .replace(/bind :8000/, `bind 127.0.0.1:${port}`)
    .replace(
      /server (n\d) node\d:8000/g,
      (_, id: string) => `server ${id} ${new URL(target.nodes[server++]!.url).host}`,
    );
  const file = path.join(directory, `haproxy-${port}.cfg`); // removed with the fleet's data
  writeFileSync(file, config);
  const child = spawn('haproxy', ['-f', file, '-db'], { stdio: 'ignore' });
  await sleep(3000); // health checks (inter 1s, rise 2) mark the nodes up
  return { url: `http://127.0.0.1:${port}`, process: child };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
