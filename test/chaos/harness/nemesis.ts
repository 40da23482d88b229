/**
 * The nemesis: a schedule of fault windows drawn up front from the seed (so a
 * seed reproduces it exactly, whatever the timing of the run), then played
 * against the cluster one window at a time. Every window ends by healing what
 * it did (network healed, paused nodes resumed, killed nodes restarted), and
 * is logged with its real start and end on the history's clock.
 */
import type { ChaosCluster } from './cluster';
import type { CutStyle } from './proxy';
import { Random } from './random';

export const FAULT_KINDS = ['kill', 'pause', 'partition', 'bridge', 'isolate', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  readonly id: number;
  readonly kind: FaultKind;
  /** Milliseconds after the nemesis starts. */
  readonly startOffsetMs: number;
  readonly durationMs: number;
  /** Quiet time before it: if the previous window ran late (restarts take time), the fault waits this long after it. */
  readonly quietBeforeMs: number;
  readonly targets: readonly string[];
  readonly details: Record<string, unknown>;
}

export interface FaultWindow {
  readonly id: number;
  readonly kind: FaultKind;
  readonly targets: readonly string[];
  readonly details: Record<string, unknown>;
  /** On the history clock (epoch ms): when the fault was being applied, and when the heal finished. */
  readonly start: number;
  readonly end: number;
  /** When the heal began (end - healStart is the time restarts took). */
  readonly healStart: number;
  readonly error?: string;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly kinds: readonly FaultKind[];
  /** The nemesis may act from 0 to this many ms. */
  readonly durationMs: number;
  readonly minFaultMs?: number;
  readonly maxFaultMs?: number;
  readonly minQuietMs?: number;
  readonly maxQuietMs?: number;
}

export function parseFaultKinds(list: string): FaultKind[] {
  const kinds = new Set<FaultKind>();
  for (const raw of list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    if (raw === 'all') FAULT_KINDS.forEach((kind) => kinds.add(kind));
    else if (raw === 'none') continue;
    else if ((FAULT_KINDS as readonly string[]).includes(raw)) kinds.add(raw as FaultKind);
    else throw new Error(`unknown fault kind "${raw}" (known: ${FAULT_KINDS.join(', ')}, all, none)`);
  }
  return [...kinds];
}

const CUT_STYLES: ReadonlyArray<readonly [CutStyle, number]> = [
  ['drop', 2],
  ['hold', 2],
  ['reset', 1],
];

/** The whole schedule, from the seed alone. */
export function planSchedule(options: ScheduleOptions): PlannedFault[] {
  const rng = Random.derive(options.seed, 'nemesis');
  const minFault = options.minFaultMs ?? 2_000;
  const maxFault = options.maxFaultMs ?? 7_000;
  const minQuiet = options.minQuietMs ?? 1_500;
  const maxQuiet = options.maxQuietMs ?? 4_000;
  const plan: PlannedFault[] = [];
  if (options.kinds.length === 0) return plan;
  // Every kind once (in a seeded order) before any repeats, so short runs still cover them all.
  const firstRound = rng.shuffle(options.kinds);
  let quietBeforeMs = rng.int(minQuiet, maxQuiet);
  let t = quietBeforeMs;
  for (let id = 1; id <= 10_000; id++) {
    const durationMs = rng.int(minFault, maxFault);
    if (t + durationMs > options.durationMs) break;
    const kind = id <= firstRound.length ? firstRound[id - 1]! : rng.pick(options.kinds);
    plan.push({ id, kind, startOffsetMs: t, durationMs, quietBeforeMs, ...chooseTargets(kind, options.nodes, rng) });
    quietBeforeMs = rng.int(minQuiet, maxQuiet);
    t += durationMs + quietBeforeMs;
  }
  return plan;
}

function chooseTargets(
  kind: FaultKind,
  nodes: readonly string[],
  rng: Random,
): Pick<PlannedFault, 'targets' | 'details'> {
  const n = nodes.length;
  const minority = Math.floor((n - 1) / 2);
  const majority = Math.floor(n / 2) + 1;
  const shuffled = rng.shuffle(nodes);
  const style = rng.weighted(CUT_STYLES);
  switch (kind) {
    case 'kill':
    case 'pause': {
      // Mostly a minority (the cluster must keep serving), sometimes a majority (it must fail cleanly and recover).
      const count = rng.chance(0.25) ? majority : rng.int(1, Math.max(1, minority));
      return { targets: shuffled.slice(0, count).sort(), details: { majority: count >= majority } };
    }
    case 'partition': {
      const size = rng.int(1, Math.max(1, minority));
      const small = shuffled.slice(0, size).sort();
      const large = shuffled.slice(size).sort();
      const direction = rng.weighted<'both' | 'minority-to-majority' | 'majority-to-minority'>([
        ['both', 3],
        ['minority-to-majority', 1],
        ['majority-to-minority', 1],
      ]);
      return { targets: small, details: { minority: small, majority: large, style, direction } };
    }
    case 'isolate': {
      const alone = shuffled[0]!;
      return { targets: [alone], details: { isolated: alone, others: shuffled.slice(1).sort(), style } };
    }
    case 'bridge': {
      // Two sides that cannot see each other and one node that sees both.
      const bridge = shuffled[0]!;
      const rest = shuffled.slice(1);
      const half = Math.floor(rest.length / 2);
      const sideA = rest.slice(0, half).sort();
      const sideB = rest.slice(half).sort();
      return { targets: [bridge], details: { bridge, sideA, sideB, style } };
    }
    case 'delay': {
      const delayMs = rng.pick([20, 50, 100, 250, 500, 900]);
      const jitterMs = Math.round(delayMs * rng.pick([0, 0.5, 1]));
      // All links, or only the links of one slow node.
      const slow = rng.chance(0.5) ? shuffled[0]! : undefined;
      return {
        targets: slow ? [slow] : [...nodes].sort(),
        details: { delayMs, jitterMs, scope: slow ? 'one-node' : 'all-links' },
      };
    }
  }
}

export interface NemesisOptions {
  readonly cluster: ChaosCluster;
  readonly plan: readonly PlannedFault[];
  /** The history clock. */
  readonly clock: () => number;
  /** Called with every finished window (e.g. to append it to faults.jsonl). */
  readonly onWindow?: (window: FaultWindow) => void;
  readonly log?: (message: string) => void;
}

/** Plays the schedule. `stop()` cuts the current window short (and heals) and skips the rest. */
export class Nemesis {
  readonly windows: FaultWindow[] = [];
  private stopped = false;
  private wake?: () => void;

  constructor(private readonly options: NemesisOptions) {}

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Plays the plan until it is done or `stop()`; no window starts after `notAfter` (Date.now() ms). */
  async run(notAfter = Infinity): Promise<void> {
    const { cluster, plan, clock } = this.options;
    const log = this.options.log ?? (() => undefined);
    const origin = Date.now();
    let lastEnd = origin;
    for (const fault of plan) {
      const startAt = Math.max(origin + fault.startOffsetMs, lastEnd + fault.quietBeforeMs);
      if (startAt + fault.durationMs > notAfter) {
        log(`fault #${fault.id} and later ones skipped: the schedule ran late (restarts take time)`);
        break;
      }
      await this.sleepUntil(startAt);
      if (this.stopped) break;
      const start = clock();
      log(
        `fault #${fault.id} ${fault.kind} ${fault.targets.join(',')} ${JSON.stringify(fault.details)} for ${fault.durationMs} ms`,
      );
      let error: string | undefined;
      try {
        await applyFault(cluster, fault);
      } catch (caught) {
        error = `apply: ${(caught as Error).message}`;
        log(`fault #${fault.id}: ${error}`);
      }
      await this.sleepUntil(Date.now() + fault.durationMs);
      const healStart = clock();
      try {
        await healFault(cluster, fault);
      } catch (caught) {
        error = `${error ? `${error}; ` : ''}heal: ${(caught as Error).message}`;
        log(`fault #${fault.id}: ${error}`);
      }
      const window: FaultWindow = {
        id: fault.id,
        kind: fault.kind,
        targets: fault.targets,
        details: fault.details,
        start,
        end: clock(),
        healStart,
        ...(error === undefined ? {} : { error }),
      };
      lastEnd = Date.now();
      log(`fault #${fault.id} healed after ${Math.round(window.end - window.start)} ms`);
      this.windows.push(window);
      this.options.onWindow?.(window);
    }
  }

  private sleepUntil(time: number): Promise<void> {
    const ms = time - Date.now();
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

async function applyFault(cluster: ChaosCluster, fault: PlannedFault): Promise<void> {
  const d = fault.details;
  const network = cluster.network;
  switch (fault.kind) {
    case 'kill':
      await Promise.all(fault.targets.map((id) => cluster.kill(id)));
      return;
    case 'pause':
      fault.targets.forEach((id) => cluster.pause(id));
      return;
    case 'partition': {
      const minority = d.minority as string[];
      const majority = d.majority as string[];
      const style = d.style as CutStyle;
      if (d.direction === 'both') await network.partition([minority, majority], style);
      else if (d.direction === 'minority-to-majority') await network.cutOneWay(minority, majority, style);
      else await network.cutOneWay(majority, minority, style);
      return;
    }
    case 'isolate':
      await network.partition([[d.isolated as string], d.others as string[]], d.style as CutStyle);
      return;
    case 'bridge':
      await network.partition([d.sideA as string[], d.sideB as string[]], d.style as CutStyle);
      return;
    case 'delay': {
      const ids = cluster.ids();
      const pairs: Array<[string, string]> = [];
      for (const from of ids) {
        for (const to of ids) {
          if (from === to) continue;
          if (d.scope === 'all-links' || fault.targets.includes(from) || fault.targets.includes(to))
            pairs.push([from, to]);
        }
      }
      await network.delay(pairs, d.delayMs as number, d.jitterMs as number);
      return;
    }
  }
}

/** Undoes the fault: always the full heal of what this kind touches. */
async function healFault(cluster: ChaosCluster, fault: PlannedFault): Promise<void> {
  switch (fault.kind) {
    case 'kill':
      await Promise.all(fault.targets.filter((id) => !cluster.isRunning(id)).map((id) => cluster.startNode(id)));
      return;
    case 'pause':
      fault.targets.forEach((id) => cluster.resume(id));
      return;
    case 'partition':
    case 'isolate':
    case 'bridge':
    case 'delay':
      await cluster.network.heal();
  }
}
