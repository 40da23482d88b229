import { keyName, valueOfSize } from './workloads';

const BATCH_PATH = '/kv-store/v1/kv/batch';
/** The service's default MAX_BATCH_ITEMS. */
const BATCH_SIZE = 1000;

interface BatchReply {
  results: Array<{ key: string; status: number; message?: string }>;
}

/**
 * Writes keyCount keys through the batch endpoint, one batch at a time, and
 * fails on any item that was not stored: a benchmark over missing keys would
 * measure 404s. Returns the keys per second achieved, a figure worth keeping.
 */
export async function preloadKeys(baseUrl: string, keyCount: number, valueBytes: number): Promise<number> {
  const started = performance.now();
  for (let first = 0; first < keyCount; first += BATCH_SIZE) {
    const items = [];
    for (let index = first; index < Math.min(keyCount, first + BATCH_SIZE); index++) {
      items.push({ key: keyName(index), value: valueOfSize(valueBytes, index) });
    }
    const response = await fetch(baseUrl + BATCH_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`preload batch at ${first}: HTTP ${response.status}: ${text.slice(0, 500)}`);
    const failed = (JSON.parse(text) as BatchReply).results.filter(
      (item) => item.status !== 200 && item.status !== 201,
    );
    if (failed.length > 0) {
      throw new Error(
        `preload batch at ${first}: ${failed.length} items not stored, e.g. ${JSON.stringify(failed.slice(0, 3))}`,
      );
    }
  }
  return keyCount / ((performance.now() - started) / 1000);
}

/** Reads one preloaded key back from every given node: the data must be there before we time anything. */
export async function checkPreloaded(baseUrls: readonly string[], keyCount: number, valueBytes: number): Promise<void> {
  const index = keyCount - 1;
  for (const baseUrl of baseUrls) {
    const response = await fetch(`${baseUrl}/kv-store/v1/kv/${keyName(index)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { value?: unknown };
    if (response.status !== 200 || body.value !== valueOfSize(valueBytes, index)) {
      throw new Error(
        `${baseUrl}: preloaded key ${keyName(index)} reads back as HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
      );
    }
  }
}
