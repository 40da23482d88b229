import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { Metrics } from './metrics';
import { RequestRates } from './request-rates';

/** The route label of a request no route matched (a 404, or a 405 answered before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

const KEY_ROUTE = '/kv-store/v1/kv/:key';
const LIST_ROUTE = '/kv-store/v1/kv';
const BATCH_ROUTE = '/kv-store/v1/kv/batch';
/** Routes whose answers count towards the request and error rates: the key-value API, not probes or scrapes. */
const API_ROUTE_PREFIXES = ['/kv-store/v1/kv', '/kv-store/v1/watch'];

type Operation = 'read' | 'list' | 'write' | 'batch';

interface RouteCounts {
  readonly api: boolean;
  readonly byMethod: Map<string, number[]>;
}

/** Seconds, from a local read (~1 ms) to a write that waited out a peer's timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Counts every HTTP answer (route pattern, method, status class) and times the
 * key-value operations, from one Fastify onResponse hook: it sees 404s, 405s
 * and router errors too, which never reach Nest. Per answer it does map
 * lookups, an increment and one histogram observation; the counter's labelled
 * series are built only when Prometheus scrapes.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  /** Per route pattern: whether it is key-value API, and per method the answers by status class (index 1 to 5). */
  private readonly routes = new Map<string, RouteCounts>();
  private readonly durations: Record<Operation, { observe(seconds: number): void }>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    metrics: Metrics,
    private readonly rates: RequestRates,
  ) {
    const routes = this.routes;
    new Counter({
      name: 'kv_http_requests_total',
      help: `HTTP requests answered, by route pattern ("${UNMATCHED_ROUTE}" when no route matched), method and status class.`,
      labelNames: ['route', 'method', 'status_class'] as const,
      registers: [metrics.registry],
      // The labelled series are built from the plain counts when Prometheus scrapes.
      collect() {
        this.reset();
        for (const [route, { byMethod }] of routes)
          for (const [method, classes] of byMethod)
            classes.forEach((n, index) => {
              if (n > 0) this.inc({ route, method, status_class: `${index}xx` }, n);
            });
      },
    });
    const requestDuration = new Histogram({
      name: 'kv_request_duration_seconds',
      help: 'Time to answer a key-value request, by operation: read (GET of a key, long polls excluded), list, write (PUT or DELETE of a key), batch.',
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [metrics.registry],
    });
    const duration = (operation: Operation) => requestDuration.labels(operation);
    this.durations = {
      read: duration('read'),
      list: duration('list'),
      write: duration('write'),
      batch: duration('batch'),
    };
  }

  /** Routes are registered by now; Fastify gives hooks to every route when it becomes ready, on listen. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.record(request, reply);
      done();
    });
  }

  private record(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    let counts = this.routes.get(route);
    if (counts === undefined) {
      counts = { api: API_ROUTE_PREFIXES.some((prefix) => route.startsWith(prefix)), byMethod: new Map() };
      this.routes.set(route, counts);
    }
    let classes = counts.byMethod.get(request.method);
    if (classes === undefined) counts.byMethod.set(request.method, (classes = [0, 0, 0, 0, 0, 0]));
    const statusClass = Math.floor(status / 100);
    if (statusClass >= 1 && statusClass <= 5) classes[statusClass]! += 1;

    if (counts.api) this.rates.record(status);
    const operation = operationOf(route, request);
    if (operation !== undefined) this.durations[operation].observe(reply.elapsedTime / 1000);
  }
}

function operationOf(route: string, request: FastifyRequest): Operation | undefined {
  const method = request.method;
  if (route === KEY_ROUTE) {
    if (method === 'PUT' || method === 'DELETE') return 'write';
    // A long poll waits on purpose, up to minutes: it would swamp the reads' latency.
    if (method === 'GET' && (request.query as { waitSeconds?: unknown } | undefined)?.waitSeconds === undefined)
      return 'read';
    return undefined;
  }
  if (route === LIST_ROUTE && method === 'GET') return 'list';
  if (route === BATCH_ROUTE && method === 'POST') return 'batch';
  return undefined;
}
