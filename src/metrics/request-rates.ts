/** Totals of key-value API answers since the node started. */
export interface RequestTotals {
  requests: number;
  clientErrors: number;
  serverErrors: number;
}

/** Per second, over the window; null until the window holds a first sample. */
export interface RequestRatesPerSecond {
  readonly windowSeconds: number;
  readonly requests: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

interface Sample extends RequestTotals {
  readonly at: number;
}

/**
 * Request and error rates over the last minute, for people (the status page):
 * Prometheus computes its own rates from the counters; a person looking at one
 * node has no Prometheus at hand. The totals are plain numbers bumped per
 * answer; a sample of them is taken every few seconds, and a rate is the
 * difference between now and the oldest sample still in the window.
 */
export class RequestRates {
  readonly totals: RequestTotals = { requests: 0, clientErrors: 0, serverErrors: 0 };
  private readonly samples: Sample[] = [];

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(statusCode: number): void {
    this.totals.requests += 1;
    if (statusCode >= 500) this.totals.serverErrors += 1;
    else if (statusCode >= 400) this.totals.clientErrors += 1;
  }

  /** Called every few seconds (MetricsModule's timer). */
  sample(): void {
    const at = this.now();
    this.samples.push({ at, ...this.totals });
    while (this.samples.length > 1 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  rates(): RequestRatesPerSecond | null {
    const oldest = this.samples[0];
    const elapsedMs = oldest === undefined ? 0 : this.now() - oldest.at;
    if (oldest === undefined || elapsedMs <= 0) return null;
    const perSecond = (now: number, then: number) => ((now - then) * 1000) / elapsedMs;
    return {
      windowSeconds: Math.round(elapsedMs / 1000),
      requests: perSecond(this.totals.requests, oldest.requests),
      clientErrors: perSecond(this.totals.clientErrors, oldest.clientErrors),
      serverErrors: perSecond(this.totals.serverErrors, oldest.serverErrors),
    };
  }
}
