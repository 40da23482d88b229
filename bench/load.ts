import autocannon from 'autocannon';
import { percentileOfSorted } from './stats';

export interface LoadSpec {
  /** One URL, or several: connection i goes to urls[i % urls.length]. */
  readonly urls: readonly string[];
  readonly connections: number;
  readonly requests: autocannon.Request[];
  /** Statuses that complete an operation (default: 2xx); any other answer is counted in `unexpected`. */
  readonly accepts?: (status: number) => boolean;
  /**
   * The requests are the steps of one operation (WorkloadPlan.sequence): it is
   * timed from the first step's send to the last step's answer and counted once.
   */
  readonly sequence?: boolean;
  /** Load before the measured window; its responses are not counted. */
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly signal?: AbortSignal;
  /** Called when the measured window opens and closes (for example to snapshot CPU counters). */
  readonly onWindowStart?: () => void;
  readonly onWindowEnd?: () => void;
}

export interface LoadResult {
  /** Seconds the window actually lasted (timers run late on a loaded machine). */
  readonly windowSeconds: number;
  /** Accepted operations (2xx responses, unless the spec says otherwise) completed in the window, per second. */
  readonly opsPerSecond: number;
  /** Operations (any status) completed in the window. */
  readonly completed: number;
  /** Latency percentiles over every response completed in the window, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Over the whole run, warm-up included. Connection errors and timeouts (autocannon counts a timeout as an error). */
  readonly errors: number;
  readonly timeouts: number;
  /** Over the whole run, warm-up included. */
  readonly non2xx: number;
  /** Over the whole run, warm-up included: answers (of any step) that the spec does not accept. */
  readonly unexpected: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** The first few non-2xx responses, status and body: what went wrong, in the service's words. */
  readonly failureSamples: readonly string[];
}

const MAX_FAILURE_SAMPLES = 5;

/**
 * One autocannon run: warm-up, then a measured window whose responses are
 * counted and timed here from autocannon's per-response events. Doing it here,
 * rather than reading autocannon's summary, gives (1) a window that excludes
 * the warm-up, (2) exact latencies with sub-millisecond precision (autocannon's
 * histogram keeps whole milliseconds), and (3) one latency population across
 * all the URLs, so percentiles over several nodes are true merged percentiles.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  spec.signal?.throwIfAborted();
  const accepts = spec.accepts ?? ((status: number) => status >= 200 && status < 300);
  const failureSamples: string[] = [];
  let unexpected = 0;
  const checkAnswer = (status: number, body: string): void => {
    if (accepts(status)) return;
    unexpected++;
    if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(`${status} ${body.slice(0, 300)}`);
  };
  let inWindow = false;
  let ok = 0;
  const latencies: number[] = [];
  const record = (status: number, latencyMs: number): void => {
    if (!inWindow) return;
    latencies.push(latencyMs);
    if (accepts(status)) ok++;
  };
  const last = spec.requests.length - 1;
  const requests = spec.requests.map((request, step): autocannon.Request => {
    if (!spec.sequence) {
      return {
        ...request,
        onResponse: (status, body, context, headers) => {
          request.onResponse?.(status, body, context, headers);
          checkAnswer(status, body);
        },
      };
    }
    return {
      ...request,
      setupRequest: (built, context) => {
        if (step === 0) context.operationStartedMs = performance.now();
        return request.setupRequest ? request.setupRequest(built, context) : built;
      },
      onResponse: (status, body, context, headers) => {
        request.onResponse?.(status, body, context, headers);
        checkAnswer(status, body);
        // A step that failed ends the operation there: autocannon still sends the next step, which is then not timed.
        if (step === last || !accepts(status)) {
          const started = context.operationStartedMs as number | undefined;
          if (started !== undefined) record(status, performance.now() - started);
          context.operationStartedMs = undefined;
        }
      },
    };
  });
  const instance = autocannon({
    url: spec.urls.length === 1 ? spec.urls[0]! : [...spec.urls],
    connections: spec.connections,
    // Longer than the window: we stop it when the window closes. Were both
    // timers due at the same moment, autocannon could finish first and the
    // window would never close.
    duration: spec.warmupSeconds + spec.durationSeconds + 2,
    requests,
    timeout: 10,
  });

  let windowStartMs = 0;
  let windowEndMs = 0;
  // Single requests are timed by autocannon itself (from the bytes written to the answer read).
  if (!spec.sequence)
    instance.on('response', (_client, statusCode, _bytes, latencyMs) => record(statusCode, latencyMs));
  // Errors are counted by autocannon; the listener only keeps the event from going unhandled.
  instance.on('reqError', () => undefined);

  const openWindow = setTimeout(() => {
    spec.onWindowStart?.();
    windowStartMs = performance.now();
    inWindow = true;
  }, spec.warmupSeconds * 1000);
  const closeWindow = setTimeout(
    () => {
      inWindow = false;
      windowEndMs = performance.now();
      spec.onWindowEnd?.();
      instance.stop();
    },
    (spec.warmupSeconds + spec.durationSeconds) * 1000,
  );
  const abort = (): void => instance.stop();
  spec.signal?.addEventListener('abort', abort, { once: true });

  let summary: autocannon.Result;
  try {
    summary = await instance;
  } finally {
    clearTimeout(openWindow);
    clearTimeout(closeWindow);
    spec.signal?.removeEventListener('abort', abort);
  }
  spec.signal?.throwIfAborted();
  if (windowEndMs === 0) throw new Error('autocannon finished before the measured window closed');

  const sorted = Float64Array.from(latencies).sort();
  const windowSeconds = (windowEndMs - windowStartMs) / 1000;
  return {
    windowSeconds,
    opsPerSecond: ok / windowSeconds,
    completed: latencies.length,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    errors: summary.errors,
    timeouts: summary.timeouts,
    non2xx: summary.non2xx,
    unexpected,
    statusCodes: Object.fromEntries(Object.entries(summary.statusCodeStats).map(([code, { count }]) => [code, count])),
    failureSamples,
  };
}
