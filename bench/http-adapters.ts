/**
 * node -r @swc-node/register bench/http-adapters.ts [--duration S] [--rounds R] [--json FILE]
 *
 * How much of a request is the HTTP framework's? The same trivial in-memory GET
 * and PUT served by Nest on Express, by Nest on Fastify, and by bare node:http
 * (the floor), each in its own process, driven by autocannon from this one in
 * interleaved rounds. Reports requests/s and, more telling on a shared machine,
 * the server process's CPU time per request.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { MICRO_KEY_COUNT, SERVER_KINDS, ServerKind, startServer } from './adapter-apps';
import { LoadResult, runLoad } from './load';
import { Cell, describeMachine, formatMachine, formatNumber, formatTable } from './report';
import { groupBy, median } from './stats';
import { valueOfSize } from './workloads';

const OPERATIONS = ['get', 'put'] as const;
type Operation = (typeof OPERATIONS)[number];
const CONCURRENCIES = [16, 64];

type ToServer = { type: 'cpu' };
type FromServer = { type: 'listening'; port: number } | { type: 'cpu'; micros: number };

interface ServerProcess {
  readonly kind: ServerKind;
  readonly url: string;
  readonly child: ChildProcess;
  cpuMicros(): Promise<number>;
}

interface MicroMeasurement extends LoadResult {
  readonly server: ServerKind;
  readonly operation: Operation;
  readonly concurrency: number;
  readonly round: number;
  /** Server process CPU (user + system) per response completed in the window. */
  readonly serverCpuUsPerRequest: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const durationSeconds = Number(values.duration ?? 5);
  const rounds = Number(values.rounds ?? 3);
  const warmupSeconds = Number(values.warmup ?? 1);
  if (!(durationSeconds > 0 && Number.isInteger(rounds) && rounds > 0 && warmupSeconds >= 0)) {
    throw new Error('--duration must be > 0, --rounds a positive integer, --warmup >= 0');
  }
  console.log(formatMachine(describeMachine()));
  console.log(
    `options: duration ${durationSeconds} s, warm-up ${warmupSeconds} s, rounds ${rounds}, concurrency ${CONCURRENCIES.join(',')}\n`,
  );

  const servers: ServerProcess[] = [];
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
  try {
    for (const kind of SERVER_KINDS) servers.push(await forkServer(kind));
    const measurements: MicroMeasurement[] = [];
    for (const operation of OPERATIONS) {
      for (const concurrency of CONCURRENCIES) {
        for (let round = 1; round <= rounds; round++) {
          // Rotate which server goes first, so no kind always follows the same neighbour.
          const order = servers.map((_, index) => servers[(index + round - 1) % servers.length]!);
          for (const server of order) {
            const measurement = await measureServer(
              server,
              operation,
              concurrency,
              round,
              durationSeconds,
              warmupSeconds,
              interrupt.signal,
            );
            measurements.push(measurement);
            console.error(
              `${operation} c=${concurrency} ${server.kind} round ${round}: ${measurement.opsPerSecond.toFixed(0)} req/s, ` +
                `${measurement.serverCpuUsPerRequest.toFixed(1)} µs CPU/req` +
                (measurement.errors + measurement.non2xx > 0
                  ? `, FAILURES ${JSON.stringify(measurement.statusCodes)} errors ${measurement.errors}`
                  : ''),
            );
          }
        }
      }
    }
    printSummary(measurements, rounds, durationSeconds);
    if (values.json)
      await writeFile(values.json, `${JSON.stringify({ machine: describeMachine(), measurements }, null, 2)}\n`);
  } finally {
    await Promise.all(servers.map((server) => stopServer(server)));
  }
}

async function measureServer(
  server: ServerProcess,
  operation: Operation,
  concurrency: number,
  round: number,
  durationSeconds: number,
  warmupSeconds: number,
  signal: AbortSignal,
): Promise<MicroMeasurement> {
  // The CPU reading travels over IPC, so it lands a moment after the window
  // edge; over a window of seconds that skew is negligible.
  let cpuAtStart: Promise<number> | undefined;
  let cpuAtEnd: Promise<number> | undefined;
  const result = await runLoad({
    urls: [server.url],
    connections: concurrency,
    requests: requestsFor(operation),
    warmupSeconds,
    durationSeconds,
    signal,
    onWindowStart: () => {
      cpuAtStart = server.cpuMicros();
    },
    onWindowEnd: () => {
      cpuAtEnd = server.cpuMicros();
    },
  });
  const cpuMicros = (await cpuAtEnd!) - (await cpuAtStart!);
  return {
    server: server.kind,
    operation,
    concurrency,
    round,
    ...result,
    serverCpuUsPerRequest: cpuMicros / result.completed,
  };
}

function requestsFor(operation: Operation): autocannon.Request[] {
  const body = JSON.stringify({ value: valueOfSize(100, 1) });
  const path = (): string => `/kv/k${randomInt(MICRO_KEY_COUNT)}`;
  return [
    {
      setupRequest: (request): autocannon.Request =>
        operation === 'get'
          ? { ...request, method: 'GET', path: path(), headers: {}, body: '' }
          : { ...request, method: 'PUT', path: path(), headers: { 'content-type': 'application/json' }, body },
    },
  ];
}

function printSummary(measurements: readonly MicroMeasurement[], rounds: number, durationSeconds: number): void {
  const groups = [...groupBy(measurements, (m) => `${m.operation}|${m.concurrency}|${m.server}`).values()];
  const rows = groups.map((group) => ({
    server: group[0]!.server,
    operation: group[0]!.operation,
    concurrency: group[0]!.concurrency,
    rps: median(group.map((m) => m.opsPerSecond)),
    cpuUs: median(group.map((m) => m.serverCpuUsPerRequest)),
    p50: median(group.map((m) => m.p50Ms)),
    p99: median(group.map((m) => m.p99Ms)),
    failures: group.reduce((sum, m) => sum + m.errors + m.non2xx, 0),
  }));
  const floor = (row: (typeof rows)[number]): number | undefined =>
    rows.find((r) => r.server === 'node-http' && r.operation === row.operation && r.concurrency === row.concurrency)
      ?.cpuUs;
  console.log(
    `\nmedians over ${rounds} round(s) of ${durationSeconds} s; CPU = the server process's user+system time per request:`,
  );
  console.log(
    formatTable(
      ['server', 'op', 'conc', 'req/s', 'CPU µs/req', 'over node:http µs', 'p50 ms', 'p99 ms', 'errors'],
      rows.map((row): Cell[] => {
        const base = floor(row);
        return [
          row.server,
          row.operation,
          row.concurrency,
          formatNumber(row.rps, 0),
          formatNumber(row.cpuUs, 1),
          base === undefined || row.server === 'node-http' ? undefined : formatNumber(row.cpuUs - base, 1),
          formatNumber(row.p50, 2),
          formatNumber(row.p99, 2),
          row.failures,
        ];
      }),
    ),
  );
  const failing = rows.filter((row) => row.failures > 0);
  if (failing.length > 0) {
    console.error(
      `\n!!! ERRORS in ${failing.map((row) => `${row.server} ${row.operation} c=${row.concurrency}`).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

function forkServer(kind: ServerKind): Promise<ServerProcess> {
  // process.execArgv carries `-r @swc-node/register` over to the child.
  const child = fork(__filename, ['--serve', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const cpuWaiters: Array<(micros: number) => void> = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`${kind} server exited (${code}) before listening`)); // no effect once listening
      // A reading that will never come: NaN rather than a benchmark that waits forever.
      for (const answer of cpuWaiters.splice(0)) answer(Number.NaN);
    });
    child.on('message', (message: FromServer) => {
      if (message.type === 'listening') {
        resolve({
          kind,
          url: `http://127.0.0.1:${message.port}`,
          child,
          cpuMicros: () =>
            new Promise<number>((answer) => {
              cpuWaiters.push(answer);
              child.send({ type: 'cpu' } satisfies ToServer);
            }),
        });
      } else cpuWaiters.shift()?.(message.micros);
    });
  });
}

async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timedOut = Symbol('timed out');
  if ((await Promise.race([exited, sleep(10_000, timedOut, { ref: false })])) === timedOut) {
    server.child.kill('SIGKILL');
    await exited;
  }
}

/** Child side: start the server, report the port, answer CPU readings, stop on SIGTERM. */
async function serve(kind: ServerKind): Promise<void> {
  const { port, close } = await startServer(kind);
  process.on('message', (message: ToServer) => {
    if (message.type !== 'cpu') return;
    const usage = process.cpuUsage();
    process.send!({ type: 'cpu', micros: usage.user + usage.system } satisfies FromServer);
  });
  process.once('SIGTERM', () => {
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  // Ctrl-C reaches the whole process group: let the parent decide when we stop.
  process.on('SIGINT', () => undefined);
  process.send!({ type: 'listening', port } satisfies FromServer);
}

const serveIndex = process.argv.indexOf('--serve');
const entry = serveIndex >= 0 ? serve(process.argv[serveIndex + 1] as ServerKind) : main();
void entry.catch((error: unknown) => {
  console.error('http-adapters failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
