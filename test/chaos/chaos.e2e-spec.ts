/**
 * The fault-injection suite, bounded for CI: one run with every fault kind on
 * a fixed seed, and the negative control (reads with ?consistency=local while
 * partitions happen), which must be found NOT linearizable, or the harness is
 * blind. Longer or other runs: `node -r @swc-node/register test/chaos/run.ts --help`.
 *
 * Needs dist/ (npm test builds it) and TEST_DATABASE_URL (the e2e global setup
 * sets it). Each run leaves its directory under .chaos-runs/ (node logs only
 * when it fails); the report is printed when a run fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stopAllClusters } from './harness/cluster';
import { parseFaultKinds } from './harness/nemesis';
import { ChaosOptions, ChaosResult, runChaos } from './harness/run-chaos';

const RUNS_DIR = path.resolve(__dirname, '../../.chaos-runs');
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

function options(name: string, overrides: Partial<ChaosOptions>): ChaosOptions {
  const seed = overrides.seed ?? 20261126;
  return {
    durationS: 60,
    seed,
    nodes: 3,
    faults: parseFaultKinds('all'),
    clients: 6,
    keys: 4,
    requestTimeoutMs: 1000,
    negativeControl: false,
    outDir: path.join(RUNS_DIR, `${stamp()}-${seed}-${name}`),
    checkBudgetMsPerKey: 30_000,
    ...overrides,
  };
}

function explain(result: ChaosResult): string {
  try {
    return readFileSync(path.join(result.outDir, 'report.txt'), 'utf8').slice(0, 20_000);
  } catch {
    return result.reasons.join('\n');
  }
}

describe('chaos: linearizability under faults (real processes, real PostgreSQL)', () => {
  // A run cut short by a jest timeout must not leave node processes or databases behind.
  afterAll(() => stopAllClusters());

  it('stays linearizable, agrees after healing and answers outside fault windows, under every fault kind', async () => {
    const result = await runChaos(options('all-faults', { durationS: 60 }));
    if (!result.passed) throw new Error(`chaos run failed (${result.outDir}):\n${explain(result)}`);
    expect(result.verdict).toBe('linearizable');
    expect(result.agreement.agree).toBe(true);
    expect(result.faults.injected).toBeGreaterThan(0);
    expect(result.operations.checked).toBeGreaterThan(100);
  }, 300_000);

  it('negative control: reads with ?consistency=local under partitions are found NOT linearizable', async () => {
    const result = await runChaos(
      options('negative-control', {
        durationS: 30,
        seed: 7,
        negativeControl: true,
        faults: parseFaultKinds('partition,isolate,bridge'),
      }),
    );
    if (!result.passed) throw new Error(`negative control failed (${result.outDir}):\n${explain(result)}`);
    expect(result.verdict).toBe('not-linearizable');
  }, 240_000);
});
