/**
 * The part of autocannon 9's programmatic API the benchmarks use. The package
 * ships no types and @types/autocannon is not a dependency; declaring only what
 * we call keeps the contract visible and type-checked.
 */
declare module 'autocannon' {
  import { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each request is sent; may rewrite method, path, headers and body. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
      /** Called with every response to a request built from this template. */
      onResponse?: (
        status: number,
        body: string,
        context: Record<string, unknown>,
        headers: Record<string, unknown>,
      ) => void;
    }

    interface Options {
      /** Several URLs: connection i goes to url[i % url.length]. */
      url: string | string[];
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before a request counts as a timeout. */
      timeout?: number;
      requests?: Request[];
      headers?: Record<string, string>;
    }

    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      duration: number;
      requests: { total: number; sent: number; average: number };
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
      /** Emitted per completed response; latency in milliseconds (sub-millisecond precision). */
      on(
        event: 'response',
        listener: (client: unknown, statusCode: number, bytes: number, latencyMs: number) => void,
      ): this;
      on(event: 'reqError', listener: (error: Error) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
