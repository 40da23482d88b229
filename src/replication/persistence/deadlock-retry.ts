const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * PostgreSQL aborts one side of a deadlock or serialization conflict; the
 * statement had no effect, so running it again is safe.
 */
export async function withDeadlockRetry<T>(statement: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      const code =
        (error as { code?: string; driverError?: { code?: string } }).driverError?.code ??
        (error as { code?: string }).code;
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
