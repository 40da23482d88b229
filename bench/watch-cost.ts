/**
 * What watching costs: `npm run build && node -r @swc-node/register bench/watch-cost.ts [options]`.
 *
 * One three-node cluster (embedded PostgreSQL each), measured in rounds; each round does, in turn:
 * - delivery: a watcher on n1 (prefix `lat/`), unique keys `lat/<i>` written one at a time through n2
 *   and n3 alternately; for each, the time from the write's answer (and from its request's start) to the
 *   event's arrival on n1's stream. Each write waits for the previous event and a random 0-20 ms, so that
 *   writes fall at every phase of the feed's 20 ms flush;
 * - write cost under watchers: for each variant (no watcher, 100 and 1,000 idle watchers on n1 whose
 *   prefixes match no write, 100 watchers on n1 whose prefix matches every write and that read every
 *   event), the watchers are opened (each counted once its first `id:` arrives, that is once the node has
 *   registered it), then 16 connections write unique keys through all three nodes; throughput, latency
 *   and CPU per write of the nodes and their PostgreSQL servers, and n1's RSS before and after opening.
 *   Each variant writes under a prefix of its own, so afterwards every watcher whose prefix matches must
 *   have had exactly one put per key the cluster lists there, and idle ones none;
 * - memory: 5,000 idle watchers opened on n1 with no load, n1's RSS before and after (the RSS of 100 or
 *   1,000 watchers is within the heap's own movements).
 * The CPU of the nodes is also given for n1 alone against n2 and n3, since the watchers are all on n1; and
 * the three nodes' CPU with no requests at all, a fixed cost that the CPU per write includes.
 * The variants change order from round to round, so that a slow minute of the shared machine does not
 * fall on one of them every time. The watchers run in a child process of their own (this file with
 * --watcher-client), so that reading their events does not delay the load generator's timings; its CPU is
 * reported apart.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { cpuUsageBetween, CpuSnapshot, takeCpuSnapshot } from './cpu-accounting';
import { LoadResult, runLoad } from './load';
import { KvNode, NodeFleet } from './node-processes';
import { Cell, describeMachine, formatMachine, formatNumber, formatTable } from './report';
import { median, percentileOfSorted } from './stats';
import { KV_PATH, valueOfSize } from './workloads';

const WATCHER_CLIENT_FLAG = '--watcher-client';
const WATCH_PATH = '/kv-store/v1/watch';
const CONNECTIONS = 16;
const VALUE_BYTES = 100;
/** USER_HZ, the unit of /proc/<pid>/stat times (as in cpu-accounting.ts). */
const TICKS_PER_SECOND = 100;
/** Delivery writes at the start of each round left out of its figures (connections, JIT). */
const DELIVERY_WARMUP_WRITES = 10;
/** A delivery event not there this long after its write is counted missing (and looked for again at the end). */
const DELIVERY_TIMEOUT_MS = 5000;
/** Watchers opened at once (1,000 connects at the same instant would overflow the listen backlog). */
const OPEN_AT_ONCE = 100;
const OPEN_TIMEOUT_MS = 60_000;
/** How long after the load the matching watchers may take to get the last events. */
const DRAIN_TIMEOUT_MS = 15_000;
/** After a load, before its keys are listed: longer than REQUEST_TIMEOUT_MS, so no write of it is still running. */
const SETTLE_AFTER_LOAD_MS = 2500;
/** Seconds of no load at the start of each round, to see the cluster's fixed CPU cost (feed flushes, probes). */
const IDLE_SECONDS = 5;
const RSS_SAMPLES = 11;
/** Idle watchers opened once per round, without load, for their memory alone. */
const MEMORY_CHECK_WATCHERS = 5000;
const RSS_SAMPLE_MS = 100;

interface Options {
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly settleSeconds: number;
  readonly deliveryWrites: number;
  readonly out: string;
}

const USAGE = `usage: node -r @swc-node/register bench/watch-cost.ts [options]   (after npm run build)
  --rounds R          rounds; the tables show medians (default 3)
  --duration S        seconds measured per write-cost step (default 10)
  --warmup S          seconds of discarded load before each (default 3)
  --settle S          seconds of discarded write load before the first round (default 10)
  --delivery-writes N writes per delivery measurement (default 300)
  --out FILE          where the report is written (default bench/results/watch-cost.txt)
  --help`;

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      settle: { type: 'string', default: '10' },
      'delivery-writes': { type: 'string', default: '300' },
      out: { type: 'string', default: path.resolve(__dirname, 'results', 'watch-cost.txt') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      console.error(`--${name} must be a number ≥ ${min}\n${USAGE}`);
      process.exit(2);
    }
    return value;
  };
  return {
    rounds: number('rounds', values.rounds, 1),
    durationSeconds: number('duration', values.duration, 1),
    warmupSeconds: number('warmup', values.warmup, 0),
    settleSeconds: number('settle', values.settle, 0),
    deliveryWrites: number('delivery-writes', values['delivery-writes'], DELIVERY_WARMUP_WRITES + 1),
    out: values.out,
  };
}

// ---------------------------------------------------------------------------------------------------
// Server-Sent Events

/**
 * A small Server-Sent Events parser (HTML standard: fields, comments, an event dispatched at a blank
 * line, one leading space stripped from a value). Lines end in LF or CRLF; a lone CR, which the service
 * never sends, is not taken as a line end.
 */
class SseParser {
  lastEventId = '';
  private buffer = '';
  private data: string[] = [];
  private type = '';

  constructor(
    private readonly onEvent: (type: string, data: string) => void,
    private readonly onId?: (id: string) => void,
  ) {}

  feed(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n', start)) {
      const line =
        this.buffer.charCodeAt(end - 1) === 13 ? this.buffer.slice(start, end - 1) : this.buffer.slice(start, end);
      start = end + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent(this.type || 'message', this.data.join('\n'));
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\u0000')) {
      this.lastEventId = value;
      this.onId?.(value);
    }
  }
}

interface OpenStream {
  readonly request: http.ClientRequest;
  /** Resolves at the stream's first `id:` line: the node has registered the watch by then. */
  readonly registered: Promise<void>;
}

/** GET /watch?prefix=…; every event goes to onEvent with its arrival time. */
function openStream(
  baseUrl: string,
  prefix: string,
  agent: http.Agent,
  onEvent: (type: string, data: string) => void,
  onEnd: () => void,
): OpenStream {
  const base = new URL(baseUrl);
  let settled = false;
  let resolveRegistered!: () => void;
  let rejectRegistered!: (error: Error) => void;
  const registered = new Promise<void>((resolve, reject) => {
    resolveRegistered = resolve;
    rejectRegistered = reject;
  });
  const fail = (error: Error): void => {
    if (settled) return;
    settled = true;
    rejectRegistered(error);
  };
  const parser = new SseParser(onEvent, () => {
    if (settled) return;
    settled = true;
    resolveRegistered();
  });
  const request = http.request({
    host: base.hostname,
    port: base.port,
    path: `${WATCH_PATH}?prefix=${encodeURIComponent(prefix)}`,
    headers: { accept: 'text/event-stream' },
    agent,
  });
  request.on('response', (response) => {
    if (response.statusCode !== 200) {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => fail(new Error(`watch ${prefix}: HTTP ${response.statusCode} ${body.slice(0, 300)}`)));
      return;
    }
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => parser.feed(chunk));
    const ended = (): void => {
      fail(new Error(`watch ${prefix}: the stream ended before its first id`));
      onEnd();
    };
    response.on('end', ended);
    response.on('error', ended);
  });
  request.on('error', (error) => {
    fail(error);
    onEnd();
  });
  request.end();
  return { request, registered };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------
// The watcher client: a child process holding the write-cost watchers

type ToClient =
  | { readonly type: 'open'; readonly url: string; readonly prefixes: readonly string[] }
  | { readonly type: 'stats' }
  | { readonly type: 'keys' }
  | { readonly type: 'close' };

interface WatcherStats {
  readonly puts: number;
  readonly others: number;
  readonly resyncs: number;
  readonly ended: boolean;
}

type FromClient =
  | { readonly type: 'opened'; readonly ms: number }
  | { readonly type: 'stats'; readonly watchers: readonly WatcherStats[]; readonly firstWatcherKeys: number }
  | { readonly type: 'keys'; readonly keys: readonly string[] }
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };

interface ClientWatcher {
  readonly request: http.ClientRequest;
  puts: number;
  others: number;
  resyncs: number;
  ended: boolean;
}

/**
 * Runs in the child. Counts events per watcher (a few string operations per event: 100 watchers of a
 * write load get tens of thousands a second); the first watcher also keeps the keys it was sent, so that
 * a shortfall can be named.
 */
function runWatcherClient(): void {
  let watchers: ClientWatcher[] = [];
  let agent: http.Agent | undefined;
  const firstKeys = new Set<string>();
  const reply = (message: FromClient): void => void process.send!(message);

  const open = async (url: string, prefixes: readonly string[]): Promise<void> => {
    const started = performance.now();
    agent = new http.Agent({ keepAlive: true, maxSockets: prefixes.length + 1 });
    firstKeys.clear();
    const opening: Array<Promise<void>> = [];
    for (const [index, prefix] of prefixes.entries()) {
      const watcher: ClientWatcher = { request: undefined!, puts: 0, others: 0, resyncs: 0, ended: false };
      const onEvent = (type: string, data: string): void => {
        if (type === 'put') {
          watcher.puts++;
          if (index === 0) firstKeys.add((JSON.parse(data) as { key: string }).key);
        } else if (type === 'resync') watcher.resyncs++;
        else watcher.others++;
      };
      const stream = openStream(url, prefix, agent, onEvent, () => (watcher.ended = true));
      (watcher as { request: http.ClientRequest }).request = stream.request;
      watchers.push(watcher);
      opening.push(stream.registered);
      if (opening.length >= OPEN_AT_ONCE) await Promise.all(opening.splice(0));
    }
    await Promise.all(opening);
    reply({ type: 'opened', ms: performance.now() - started });
  };

  process.on('message', (message: ToClient) => {
    switch (message.type) {
      case 'open':
        withTimeout(open(message.url, message.prefixes), OPEN_TIMEOUT_MS, 'opening the watchers').catch(
          (error: unknown) => reply({ type: 'error', message: String(error) }),
        );
        return;
      case 'stats':
        reply({
          type: 'stats',
          watchers: watchers.map(({ puts, others, resyncs, ended }) => ({ puts, others, resyncs, ended })),
          firstWatcherKeys: firstKeys.size,
        });
        return;
      case 'keys':
        reply({ type: 'keys', keys: [...firstKeys] });
        return;
      case 'close':
        for (const watcher of watchers) watcher.request.destroy();
        agent?.destroy();
        watchers = [];
        reply({ type: 'closed' });
        return;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** The parent's side: one request at a time, each answered by the next message. */
class WatcherClient {
  private constructor(private readonly child: ChildProcess) {}

  static start(): WatcherClient {
    // Same file, same -r @swc-node/register (fork passes this process's execArgv on).
    const child = fork(__filename, [WATCHER_CLIENT_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new WatcherClient(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async ask<T extends FromClient['type']>(
    message: ToClient,
    expected: T,
    timeoutMs = OPEN_TIMEOUT_MS + 5000,
  ): Promise<Extract<FromClient, { type: T }>> {
    let onMessage: (reply: FromClient) => void = () => undefined;
    let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;
    const answer = new Promise<FromClient>((resolve, reject) => {
      onMessage = resolve;
      onExit = (code, signal) => reject(new Error(`the watcher client exited (${signal ?? code})`));
      this.child.once('message', onMessage);
      this.child.once('exit', onExit);
    });
    this.child.send(message);
    let reply: FromClient;
    try {
      reply = await withTimeout(answer, timeoutMs, `the watcher client's answer to ${message.type}`);
    } finally {
      this.child.off('message', onMessage);
      this.child.off('exit', onExit);
    }
    if (reply.type === 'error') throw new Error(`watcher client: ${reply.message}`);
    if (reply.type !== expected) throw new Error(`watcher client answered ${reply.type} to ${message.type}`);
    return reply as Extract<FromClient, { type: T }>;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurements

interface DeliveryRound {
  readonly round: number;
  readonly writes: number;
  readonly fromAnswer: readonly number[];
  readonly fromStart: readonly number[];
  /** Keys whose event had not come DELIVERY_TIMEOUT_MS after the write; `neverArrived` of them not by the end. */
  readonly late: number;
  readonly neverArrived: readonly string[];
  readonly failedWrites: readonly string[];
  readonly resyncs: number;
  /** Events that came before their write's answer. */
  readonly beforeAnswer: number;
}

let deliveryKeyCounter = 0;

async function measureDelivery(nodes: readonly KvNode[], round: number, writes: number): Promise<DeliveryRound> {
  const arrivals = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  let resyncs = 0;
  let ended = false;
  const agent = new http.Agent({ keepAlive: true });
  const stream = openStream(
    nodes[0]!.url,
    'lat/',
    agent,
    (type, data) => {
      const at = performance.now();
      if (type === 'resync') resyncs++;
      if (type !== 'put') return;
      const { key } = JSON.parse(data) as { key: string };
      if (!arrivals.has(key)) arrivals.set(key, at);
      waiting.get(key)?.();
    },
    () => (ended = true),
  );
  const fromAnswer: number[] = [];
  const fromStart: number[] = [];
  const pending: Array<{ key: string; start: number; answer: number }> = [];
  const failedWrites: string[] = [];
  let late = 0;
  let beforeAnswer = 0;
  try {
    await withTimeout(stream.registered, OPEN_TIMEOUT_MS, 'the delivery watcher');
    for (let i = 0; i < writes; i++) {
      if (ended) throw new Error('the delivery watcher on n1 ended');
      await sleep(randomInt(21));
      const key = `lat/${deliveryKeyCounter++}`;
      const writer = nodes[1 + (i % 2)]!;
      const arrived = new Promise<void>((resolve) => waiting.set(key, resolve));
      const start = performance.now();
      const response = await fetch(`${writer.url}${KV_PATH}${encodeURIComponent(key)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: i }),
      });
      const body = await response.text();
      const answer = performance.now();
      if (!response.ok) {
        failedWrites.push(`${key} on ${writer.name}: ${response.status} ${body.slice(0, 200)}`);
        waiting.delete(key);
        continue;
      }
      try {
        await withTimeout(arrived, DELIVERY_TIMEOUT_MS, key);
      } catch {
        late++;
      }
      waiting.delete(key);
      if (i < DELIVERY_WARMUP_WRITES) continue;
      pending.push({ key, start, answer });
    }
    await sleep(2000); // a last chance for late events
  } finally {
    stream.request.destroy();
    agent.destroy();
  }
  const neverArrived: string[] = [];
  for (const { key, start, answer } of pending) {
    const at = arrivals.get(key);
    if (at === undefined) {
      neverArrived.push(key);
      continue;
    }
    fromAnswer.push(at - answer);
    fromStart.push(at - start);
    if (at < answer) beforeAnswer++;
  }
  return {
    round,
    writes: pending.length,
    fromAnswer,
    fromStart,
    late,
    neverArrived,
    failedWrites,
    resyncs,
    beforeAnswer,
  };
}

interface Idle {
  readonly nodeCores?: number;
  readonly postgresCores?: number;
}

async function measureIdle(nodes: readonly KvNode[]): Promise<Idle> {
  const before = takeCpuSnapshot();
  await sleep(IDLE_SECONDS * 1000);
  const usage = cpuUsageBetween(
    before,
    takeCpuSnapshot(),
    nodes.map((node) => node.pid),
  );
  const cores = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds / usage.wallSeconds);
  return { nodeCores: cores(usage.kvNodeSeconds), postgresCores: cores(usage.postgresSeconds) };
}

interface MemoryCheck {
  readonly watchers: number;
  readonly rssBeforeKiB: number;
  readonly rssOpenedKiB: number;
  readonly openMs: number;
}

/** Many idle watchers and no load: enough of them for their memory to stand out of the heap's slack. */
async function measureMemory(n1: KvNode, client: WatcherClient, watchers: number): Promise<MemoryCheck> {
  await sleep(1000);
  const rssBeforeKiB = await sampleRssKiB(n1.pid);
  const prefixes = Array.from({ length: watchers }, (_, i) => `idle/${i}/`);
  const { ms: openMs } = await client.ask({ type: 'open', url: n1.url, prefixes }, 'opened');
  await sleep(500);
  const rssOpenedKiB = await sampleRssKiB(n1.pid);
  const stats = await client.ask({ type: 'stats' }, 'stats');
  await client.ask({ type: 'close' }, 'closed');
  const problems = watcherProblems(stats, 0);
  if (problems.length > 0) throw new Error(`memory check: ${problems.join('; ')}`);
  return { watchers, rssBeforeKiB, rssOpenedKiB, openMs };
}

const memoryPerWatcherKiB = (check: MemoryCheck): number => (check.rssOpenedKiB - check.rssBeforeKiB) / check.watchers;

interface Variant {
  readonly name: string;
  readonly watchers: number;
  /** Watchers whose prefix matches every write (else prefixes that match none). */
  readonly matching: boolean;
}

const NONE: Variant = { name: 'no watcher', watchers: 0, matching: false };
const IDLE_100: Variant = { name: '100 idle watchers', watchers: 100, matching: false };
const IDLE_1000: Variant = { name: '1000 idle watchers', watchers: 1000, matching: false };
const MATCHING_100: Variant = { name: '100 watchers of every write', watchers: 100, matching: true };
const VARIANTS: readonly Variant[] = [NONE, IDLE_100, IDLE_1000, MATCHING_100];
/** Each variant at a different place in each round (then the cycle repeats). */
const ORDERS: readonly (readonly Variant[])[] = [
  [NONE, IDLE_100, IDLE_1000, MATCHING_100],
  [MATCHING_100, IDLE_1000, IDLE_100, NONE],
  [IDLE_1000, MATCHING_100, NONE, IDLE_100],
  [IDLE_100, NONE, MATCHING_100, IDLE_1000],
];

interface CostStep {
  readonly round: number;
  readonly variant: Variant;
  readonly load: LoadResult;
  readonly writesInWindow: number;
  readonly nodeMicrosPerWrite?: number;
  /** Less what the nodes use with no requests at all (the round's idle measurement). */
  readonly nodeMicrosAboveIdle?: number;
  /** n1 (where the watchers are) alone, and the mean of the two others. */
  readonly n1MicrosPerWrite?: number;
  readonly otherNodeMicrosPerWrite?: number;
  readonly postgresMicrosPerWrite?: number;
  readonly loadGeneratorMicrosPerWrite: number;
  readonly watcherClientMicrosPerWrite?: number;
  readonly busyCores?: number;
  readonly outsideCores?: number;
  readonly rssBeforeKiB: number;
  readonly rssOpenedKiB: number;
  readonly rssAfterLoadKiB: number;
  readonly openMs: number;
  /** Keys the cluster lists under the step's prefix afterwards: every write of the step that took effect. */
  readonly keysWritten: number;
  /** What the watchers got, and what is wrong with it (empty when nothing). */
  readonly problems: readonly string[];
}

let stepCounter = 0;

async function measureCost(
  nodes: readonly KvNode[],
  client: WatcherClient,
  variant: Variant,
  round: number,
  idle: Idle,
  options: Options,
  signal: AbortSignal,
): Promise<CostStep> {
  const step = stepCounter++;
  const writePrefix = `w/${step}/`;
  const n1 = nodes[0]!;
  await sleep(1000); // the previous step's watchers are closed by now
  const rssBeforeKiB = await sampleRssKiB(n1.pid);
  let openMs = 0;
  if (variant.watchers > 0) {
    const prefixes = Array.from({ length: variant.watchers }, (_, i) =>
      variant.matching ? writePrefix : `idle/${i}/`,
    );
    openMs = (await client.ask({ type: 'open', url: n1.url, prefixes }, 'opened')).ms;
  }
  await sleep(500);
  const rssOpenedKiB = await sampleRssKiB(n1.pid);

  let before: CpuSnapshot | undefined;
  let after: CpuSnapshot | undefined;
  const load = await runLoad({
    urls: nodes.map((node) => node.url),
    connections: CONNECTIONS,
    requests: uniqueWrites(writePrefix),
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    signal,
    onWindowStart: () => (before = takeCpuSnapshot()),
    onWindowEnd: () => (after = takeCpuSnapshot()),
  });
  const rssAfterLoadKiB = readRssKiB(n1.pid);
  // Writes in flight when the load stopped still finish on the nodes (within REQUEST_TIMEOUT_MS).
  await sleep(SETTLE_AFTER_LOAD_MS);
  const keysWritten = await countKeys(n1.url, writePrefix);

  const problems: string[] = [];
  if (variant.watchers > 0) {
    const expected = variant.matching ? keysWritten : 0;
    let stats = await client.ask({ type: 'stats' }, 'stats');
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    while (stats.watchers.some((w) => w.puts < expected && !w.ended) && performance.now() < deadline) {
      await sleep(200);
      stats = await client.ask({ type: 'stats' }, 'stats');
    }
    problems.push(...watcherProblems(stats, expected));
    if (variant.matching && (stats.firstWatcherKeys !== expected || stats.watchers[0]?.puts !== expected)) {
      const { keys } = await client.ask({ type: 'keys' }, 'keys');
      problems.push(
        `watcher 0: ${stats.watchers[0]?.puts} puts, ${keys.length} distinct keys, ${expected} keys listed; ` +
          (await compareKeys(n1.url, writePrefix, keys)),
      );
    }
    await client.ask({ type: 'close' }, 'closed');
  }

  const writesInWindow = load.opsPerSecond * load.windowSeconds;
  const perWrite = (seconds: number | undefined): number | undefined =>
    seconds === undefined || writesInWindow === 0 ? undefined : (seconds * 1e6) / writesInWindow;
  const cpu =
    before && after
      ? cpuUsageBetween(
          before,
          after,
          nodes.map((node) => node.pid),
        )
      : undefined;
  const ticksOf = (pids: readonly number[]): number | undefined =>
    before?.processes && after?.processes
      ? pids.reduce(
          (sum, pid) => sum + (after!.processes!.get(pid)?.ticks ?? 0) - (before!.processes!.get(pid)?.ticks ?? 0),
          0,
        )
      : undefined;
  const n1Ticks = ticksOf([n1.pid]);
  const otherTicks = ticksOf(nodes.slice(1).map((node) => node.pid));
  const clientTicks =
    before?.processes && after?.processes && variant.watchers > 0
      ? (after.processes.get(client.pid)?.ticks ?? 0) - (before.processes.get(client.pid)?.ticks ?? 0)
      : undefined;
  return {
    round,
    variant,
    load,
    writesInWindow,
    nodeMicrosPerWrite: perWrite(cpu?.kvNodeSeconds),
    nodeMicrosAboveIdle:
      cpu?.kvNodeSeconds === undefined || idle.nodeCores === undefined
        ? undefined
        : perWrite(cpu.kvNodeSeconds - idle.nodeCores * cpu.wallSeconds),
    n1MicrosPerWrite: perWrite(n1Ticks === undefined ? undefined : n1Ticks / TICKS_PER_SECOND),
    otherNodeMicrosPerWrite: perWrite(
      otherTicks === undefined ? undefined : otherTicks / TICKS_PER_SECOND / (nodes.length - 1),
    ),
    postgresMicrosPerWrite: perWrite(cpu?.postgresSeconds),
    loadGeneratorMicrosPerWrite: perWrite(cpu?.loadGeneratorSeconds) ?? Number.NaN,
    watcherClientMicrosPerWrite: perWrite(clientTicks === undefined ? undefined : clientTicks / TICKS_PER_SECOND),
    busyCores: cpu?.machineBusyCores,
    outsideCores: cpu?.outsideCores,
    rssBeforeKiB,
    rssOpenedKiB,
    rssAfterLoadKiB,
    openMs,
    keysWritten,
    problems,
  };
}

function watcherProblems(stats: Extract<FromClient, { type: 'stats' }>, expected: number): string[] {
  const problems: string[] = [];
  const wrong = stats.watchers.filter((w) => w.puts !== expected);
  if (wrong.length > 0)
    problems.push(
      `${wrong.length} of ${stats.watchers.length} watchers got a put count other than ${expected}: ` +
        [...new Set(wrong.map((w) => w.puts))].slice(0, 5).join(', '),
    );
  const resyncs = stats.watchers.reduce((sum, w) => sum + w.resyncs, 0);
  if (resyncs > 0) problems.push(`${resyncs} resync events in all`);
  const others = stats.watchers.reduce((sum, w) => sum + w.others, 0);
  if (others > 0) problems.push(`${others} events neither put nor resync`);
  const ended = stats.watchers.filter((w) => w.ended).length;
  if (ended > 0) problems.push(`${ended} streams ended (closed by the node)`);
  return problems;
}

/** Writes of unique keys under `prefix` (every one a create), 100-byte values as in bench/workloads.ts. */
function uniqueWrites(prefix: string): autocannon.Request[] {
  const bodies = Array.from({ length: 16 }, (_, seed) => JSON.stringify({ value: valueOfSize(VALUE_BYTES, seed) }));
  let next = 0;
  return [
    {
      setupRequest: (request) => ({
        ...request,
        method: 'PUT',
        path: KV_PATH + encodeURIComponent(`${prefix}${next++}`),
        // Fresh headers each time: autocannon writes Content-Length into them.
        headers: { 'content-type': 'application/json' },
        body: bodies[next % bodies.length]!,
      }),
    },
  ];
}

async function listKeys(url: string, prefix: string, each: (key: string) => void): Promise<void> {
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ prefix, keysOnly: 'true', limit: '1000', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${url}${KV_PATH.slice(0, -1)}?${query.toString()}`);
    const body = (await response.json()) as { items: Array<{ key: string }>; nextCursor: string | null };
    if (!response.ok) throw new Error(`listing ${prefix}: ${response.status} ${JSON.stringify(body)}`);
    for (const item of body.items) each(item.key);
    cursor = body.nextCursor;
  } while (cursor !== null);
}

async function countKeys(url: string, prefix: string): Promise<number> {
  let count = 0;
  await listKeys(url, prefix, () => count++);
  return count;
}

/** What a watcher's keys and the listing disagree on; a key only the watcher had is read back (linearizably). */
async function compareKeys(url: string, prefix: string, watched: readonly string[]): Promise<string> {
  const seen = new Set(watched);
  const listed = new Set<string>();
  await listKeys(url, prefix, (key) => listed.add(key));
  const missing = [...listed].filter((key) => !seen.has(key));
  const extra = [...seen].filter((key) => !listed.has(key));
  const readBack: string[] = [];
  for (const key of extra.slice(0, 5)) {
    const response = await fetch(`${url}${KV_PATH}${encodeURIComponent(key)}`);
    readBack.push(`${key}: GET ${response.status} ${(await response.text()).slice(0, 120)}`);
  }
  return (
    `listed but never sent: ${missing.length} (e.g. ${missing.slice(0, 5).join(', ')}); ` +
    `sent but not listed: ${extra.length} (${readBack.join('; ')})`
  );
}

/** The median of RSS_SAMPLES readings RSS_SAMPLE_MS apart: one reading moves with every GC. */
async function sampleRssKiB(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i++) {
    if (i > 0) await sleep(RSS_SAMPLE_MS);
    samples.push(readRssKiB(pid));
  }
  return median(samples);
}

function readRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

// ---------------------------------------------------------------------------------------------------
// Report

const report: string[] = [];

function print(text = ''): void {
  console.log(text);
  report.push(text);
}

const ms = (value: number | undefined): string | undefined => formatNumber(value, 1);

function deliveryTable(rounds: readonly DeliveryRound[]): string {
  const stats = (values: readonly number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      p50: percentileOfSorted(sorted, 50),
      p99: percentileOfSorted(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    };
  };
  const rows: Cell[][] = rounds.map((round) => {
    const answer = stats(round.fromAnswer);
    const start = stats(round.fromStart);
    return [
      String(round.round),
      round.writes,
      ms(answer.p50),
      ms(answer.p99),
      ms(answer.max),
      ms(start.p50),
      ms(start.p99),
      ms(start.max),
      round.beforeAnswer,
      round.neverArrived.length,
      round.resyncs,
    ];
  });
  const medianOf = (pick: (round: DeliveryRound) => number): string | undefined => ms(median(rounds.map(pick)));
  rows.push([
    'median',
    median(rounds.map((r) => r.writes)),
    medianOf((r) => stats(r.fromAnswer).p50),
    medianOf((r) => stats(r.fromAnswer).p99),
    medianOf((r) => stats(r.fromAnswer).max),
    medianOf((r) => stats(r.fromStart).p50),
    medianOf((r) => stats(r.fromStart).p99),
    medianOf((r) => stats(r.fromStart).max),
    median(rounds.map((r) => r.beforeAnswer)),
    median(rounds.map((r) => r.neverArrived.length)),
    median(rounds.map((r) => r.resyncs)),
  ]);
  return formatTable(
    [
      'round',
      'writes',
      'answer→event p50 ms',
      'p99',
      'max',
      'request→event p50 ms',
      'p99',
      'max',
      'event before answer',
      'missing',
      'resyncs',
    ],
    rows,
  );
}

function costTable(steps: readonly CostStep[]): string {
  const rows = VARIANTS.map((variant): Cell[] => {
    const mine = steps.filter((step) => step.variant === variant);
    const med = (pick: (step: CostStep) => number | undefined, decimals?: number): string | undefined => {
      const values = mine.map(pick).filter((value): value is number => value !== undefined && !Number.isNaN(value));
      return values.length === 0 ? undefined : formatNumber(median(values), decimals);
    };
    return [
      variant.name,
      med((s) => s.load.opsPerSecond, 0),
      med((s) => s.load.p50Ms),
      med((s) => s.load.p99Ms),
      med((s) => s.nodeMicrosPerWrite, 0),
      med((s) => s.nodeMicrosAboveIdle, 0),
      med((s) => s.n1MicrosPerWrite, 0),
      med((s) => s.otherNodeMicrosPerWrite, 0),
      med((s) => s.postgresMicrosPerWrite, 0),
      med((s) => s.loadGeneratorMicrosPerWrite, 0),
      variant.watchers > 0 ? med((s) => s.watcherClientMicrosPerWrite, 0) : undefined,
      med((s) => s.rssBeforeKiB / 1024, 1),
      med((s) => (s.rssOpenedKiB - s.rssBeforeKiB) / 1024, 1),
      variant.watchers > 0 ? med((s) => (s.rssOpenedKiB - s.rssBeforeKiB) / s.variant.watchers, 1) : undefined,
      variant.watchers > 0 ? med((s) => s.openMs, 0) : undefined,
      med((s) => s.busyCores, 2),
      med((s) => s.outsideCores, 2),
    ];
  });
  return formatTable(
    [
      'watchers on n1',
      'writes/s',
      'p50 ms',
      'p99 ms',
      'nodes µs/write',
      'above idle',
      'n1',
      'n2, n3 each',
      'PostgreSQL µs/write',
      'load gen µs/write',
      'watcher client µs/write',
      'n1 RSS MiB',
      'RSS Δ opening MiB',
      'KiB per watcher',
      'open ms',
      'busy cores',
      'not ours',
    ],
    rows,
  );
}

function stepLine(step: CostStep): string {
  const { load } = step;
  const failures = load.errors + load.non2xx;
  return (
    `round ${step.round} ${step.variant.name}: ${load.opsPerSecond.toFixed(0)} writes/s, p50 ${ms(load.p50Ms)} ms, ` +
    `p99 ${ms(load.p99Ms)} ms, nodes ${formatNumber(step.nodeMicrosPerWrite, 0)} µs/write (n1 ` +
    `${formatNumber(step.n1MicrosPerWrite, 0)}, n2/n3 ${formatNumber(step.otherNodeMicrosPerWrite, 0)}), PostgreSQL ` +
    `${formatNumber(step.postgresMicrosPerWrite, 0)} µs/write, watcher client ` +
    `${formatNumber(step.watcherClientMicrosPerWrite, 0) ?? '-'} µs/write, n1 RSS ` +
    `${(step.rssBeforeKiB / 1024).toFixed(1)} → ${(step.rssOpenedKiB / 1024).toFixed(1)} MiB opened → ` +
    `${(step.rssAfterLoadKiB / 1024).toFixed(1)} MiB after the load, ${step.keysWritten} keys written` +
    (failures > 0
      ? `, ${failures} failed requests ${JSON.stringify(load.statusCodes)} ${load.failureSamples[0] ?? ''}`
      : '') +
    (step.problems.length > 0
      ? `\n  !!! watchers: ${step.problems.join('; ')}`
      : ', watchers got exactly what they should')
  );
}

function deliveryLine(round: DeliveryRound): string {
  const sorted = [...round.fromAnswer].sort((a, b) => a - b);
  return (
    `round ${round.round} delivery: ${round.writes} writes, answer→event p50 ${ms(percentileOfSorted(sorted, 50))} ms, ` +
    `p99 ${ms(percentileOfSorted(sorted, 99))} ms, max ${ms(sorted.at(-1))} ms` +
    (round.late > 0 ? `, ${round.late} later than ${DELIVERY_TIMEOUT_MS} ms` : '') +
    (round.neverArrived.length > 0 ? `\n  !!! never arrived: ${round.neverArrived.slice(0, 10).join(', ')}` : '') +
    (round.failedWrites.length > 0 ? `\n  !!! failed writes: ${round.failedWrites.slice(0, 5).join('; ')}` : '') +
    (round.resyncs > 0 ? `\n  !!! ${round.resyncs} resync events` : '')
  );
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = ['npm run build && node -r @swc-node/register bench/watch-cost.ts', ...process.argv.slice(2)].join(
    ' ',
  );
  print(`$ ${command}`);
  print(formatMachine(describeMachine()));
  print(
    `rounds ${options.rounds}; delivery: ${options.deliveryWrites} writes per round (the first ` +
      `${DELIVERY_WARMUP_WRITES} not counted); write cost: ${CONNECTIONS} connections over the three nodes, ` +
      `unique keys, ${VALUE_BYTES}-byte values, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s measured; ` +
      `settle ${options.settleSeconds} s`,
  );

  const fleet = await NodeFleet.create();
  const client = WatcherClient.start();
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    interrupt.abort(new Error('interrupted'));
    client.stop();
    void fleet.stopAll().finally(() => process.exit(130));
  });
  const deliveries: DeliveryRound[] = [];
  const steps: CostStep[] = [];
  const idles: Idle[] = [];
  const memoryChecks: MemoryCheck[] = [];
  try {
    console.error(`starting a three-node cluster (data under ${fleet.dataRoot}) ...`);
    const { nodes } = await fleet.startTarget('watch', 3);
    const linesBefore = new Map(nodes.map((node) => [node, node.outputLineCount()]));
    if (options.settleSeconds > 0) {
      const settle = await runLoad({
        urls: nodes.map((node) => node.url),
        connections: CONNECTIONS,
        requests: uniqueWrites('settle/'),
        warmupSeconds: 0,
        durationSeconds: options.settleSeconds,
        signal: interrupt.signal,
      });
      console.error(
        `settled with ${options.settleSeconds} s of writes (${settle.opsPerSecond.toFixed(0)}/s, not counted)`,
      );
    }
    print();
    for (let round = 1; round <= options.rounds; round++) {
      const idle = await measureIdle(nodes);
      idles.push(idle);
      print(
        `round ${round} idle: the three nodes use ${formatNumber(idle.nodeCores, 3)} cores, their PostgreSQL ` +
          `${formatNumber(idle.postgresCores, 3)} (${IDLE_SECONDS} s without requests)`,
      );
      const delivery = await measureDelivery(nodes, round, options.deliveryWrites);
      deliveries.push(delivery);
      print(deliveryLine(delivery));
      for (const variant of ORDERS[(round - 1) % ORDERS.length]!) {
        const step = await measureCost(nodes, client, variant, round, idle, options, interrupt.signal);
        steps.push(step);
        print(stepLine(step));
      }
      const memory = await measureMemory(nodes[0]!, client, MEMORY_CHECK_WATCHERS);
      memoryChecks.push(memory);
      print(
        `round ${round} memory: ${memory.watchers} idle watchers on n1 (no load) opened in ${memory.openMs.toFixed(0)} ms, ` +
          `n1 RSS ${(memory.rssBeforeKiB / 1024).toFixed(1)} → ${(memory.rssOpenedKiB / 1024).toFixed(1)} MiB, ` +
          `${memoryPerWatcherKiB(memory).toFixed(1)} KiB per watcher`,
      );
      const exited = fleet.unexpectedExits();
      if (exited.length > 0)
        throw new Error(
          `node(s) exited: ${exited.map((node) => `${node.name} (${NodeFleet.exitStatus(node)})`).join(', ')}`,
        );
    }

    print(
      `\nwith no requests, the three nodes use ${formatNumber(median(idles.map((i) => i.nodeCores ?? Number.NaN)), 3)} cores and ` +
        `their PostgreSQL servers ${formatNumber(median(idles.map((i) => i.postgresCores ?? Number.NaN)), 3)} (medians): a fixed cost ` +
        'that the µs per write below include, spread over the writes of the window',
    );
    print(
      `\ndelivery delay (a watcher on n1, writes through n2 and n3 one at a time; ms from the write's answer, ` +
        `and from its request's start, to the event on n1's stream; per round, then the median of the rounds):`,
    );
    print(deliveryTable(deliveries));
    print(
      `\nwrite cost with watchers on n1 (medians of ${options.rounds} round(s); 16 connections of unique-key writes ` +
        'over all three nodes; µs = CPU per acknowledged write of the three node processes (and the same less ' +
        'their idle use; then n1 alone, and n2 and n3 on average), of their PostgreSQL ' +
        'servers, of the load generator, and of the process that holds the watchers and reads their events; ' +
        "RSS = n1's node process before opening the watchers, and what opening them added, per watcher; " +
        'busy / not ours = cores of the machine in use, and of those used by processes this benchmark did not start):',
    );
    print(costTable(steps));

    print(
      `\nmemory: ${MEMORY_CHECK_WATCHERS} idle watchers opened on n1 with no load add ` +
        `${median(memoryChecks.map((m) => (m.rssOpenedKiB - m.rssBeforeKiB) / 1024)).toFixed(1)} MiB to its RSS, ` +
        `${median(memoryChecks.map(memoryPerWatcherKiB)).toFixed(1)} KiB per watcher (medians; RSS is the median of ` +
        `${RSS_SAMPLES} readings ${RSS_SAMPLE_MS} ms apart, and moves by a MiB or two with the heap, so the RSS ` +
        'columns above are within that noise for 100 and even 1000 watchers)',
    );

    let logged = false;
    for (const node of nodes) {
      const printed = node.outputLineCount() - (linesBefore.get(node) ?? 0);
      if (printed === 0) continue;
      logged = true;
      print(`\n!!! ${node.name} printed ${printed} warning/error line(s) during the measurements; the last ones:`);
      print(
        node
          .outputLines()
          .slice(-Math.min(printed, 10))
          .map((line) => `    ${line}`)
          .join('\n'),
      );
    }
    if (!logged) print('\nno node printed a warning or an error during the measurements');
  } finally {
    client.stop();
    console.error('stopping the nodes ...');
    await fleet.stopAll();
  }
  writeFileSync(options.out, `${report.join('\n')}\n`);
  console.error(`written to ${options.out}`);
}

if (process.argv[2] === WATCHER_CLIENT_FLAG) runWatcherClient();
else
  void main().catch((error: unknown) => {
    console.error('watch-cost failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
