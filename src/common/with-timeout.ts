/** The call did not answer within its time budget. Means "no answer", not "rejected". */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
}

/**
 * Settles like `work`, or rejects with CallTimeoutError after `timeoutMs`.
 * The work itself is not cancelled (it may still complete, e.g. a store write);
 * its late outcome is observed and dropped, so nothing rejects unhandled.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const expire = (): void => reject(new CallTimeoutError(`${what} timed out after ${timeoutMs} ms`));
    const timer = setTimeout(expire, Math.max(0, timeoutMs));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
