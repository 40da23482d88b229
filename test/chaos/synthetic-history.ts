/**
 * Generates histories of a simulated, truly atomic key-value store, for
 * testing the checker: every operation takes effect at one instant strictly
 * inside its interval, so the generated history is linearizable by
 * construction. Indeterminate operations time out on the client and then take
 * effect at some random later instant or never, like a request stuck in a
 * partitioned replica.
 *
 * Deterministic for a given seed, so a failing test reproduces.
 */
import type { CompleteEvent, HistoryEvent, InvokeEvent, JsonValue, KvOperation } from './history';

export interface SyntheticHistoryOptions {
  readonly clients: number;
  readonly opsPerClient: number;
  readonly keys: number;
  /** Fraction of operations that end indeterminate ("info"). */
  readonly indeterminateRate: number;
  readonly seed: number;
  /** Whether results carry versions (the store's do); without them the checker has less to go on. */
  readonly reportVersions?: boolean;
}

interface Register {
  present: boolean;
  value: JsonValue;
  version: number;
}

interface InFlight {
  readonly invoke: InvokeEvent;
  readonly indeterminate: boolean;
  completion?: Omit<CompleteEvent, 'time'>;
}

type SimulationEvent =
  | { readonly time: number; readonly kind: 'invoke'; readonly client: number }
  | { readonly time: number; readonly kind: 'apply' | 'complete'; readonly id: number };

export function generateLinearizableHistory(options: SyntheticHistoryOptions): HistoryEvent[] {
  const random = mulberry32(options.seed);
  const reportVersions = options.reportVersions ?? true;
  const registers = new Map<string, Register>();
  const lastSeenVersion = new Map<string, number>();
  const inFlight = new Map<number, InFlight>();
  const opsStarted = new Map<number, number>(); // by client index
  const history: HistoryEvent[] = [];
  const queue: SimulationEvent[] = [];
  let nextId = 1;

  const schedule = (event: SimulationEvent) => {
    // Binary insertion keeps the queue sorted by time; ties keep insertion order.
    let low = 0;
    let high = queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (queue[middle]!.time <= event.time)
        low = middle + 1; // low <= middle < high <= queue.length
      else high = middle;
    }
    queue.splice(low, 0, event);
  };
  const registerOf = (key: string): Register => {
    let register = registers.get(key);
    if (register === undefined) registers.set(key, (register = { present: false, value: null, version: 0 }));
    return register;
  };

  for (let client = 0; client < options.clients; client++)
    schedule({ time: randomInt(random, 0, 5), kind: 'invoke', client });

  for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
    if (event.kind === 'invoke') {
      const client = `c${event.client}`;
      const key = `k${randomInt(random, 0, options.keys - 1)}`;
      const started = opsStarted.get(event.client) ?? 0;
      const op = chooseOperation(random, client, started, lastSeenVersion.get(`${client}/${key}`) ?? 0);
      const id = nextId++;
      const invoke: InvokeEvent = { type: 'invoke', id, client, key, op, time: event.time };
      history.push(invoke);
      const indeterminate = random() < options.indeterminateRate;
      inFlight.set(id, { invoke, indeterminate });
      const duration = randomInt(random, 1, 30);
      const takesEffect = !indeterminate || random() < 0.5;
      // Strictly inside the interval, or for a timed-out request anywhere up to long after the timeout.
      const applyAt = indeterminate
        ? event.time + (0.1 + 3 * random()) * duration
        : event.time + (0.1 + 0.8 * random()) * duration;
      if (takesEffect) schedule({ time: applyAt, kind: 'apply', id });
      schedule({ time: event.time + duration, kind: 'complete', id });
      opsStarted.set(event.client, started + 1);
      continue;
    }

    const flight = inFlight.get(event.id) as InFlight;
    if (event.kind === 'apply') {
      flight.completion = execute(registerOf(flight.invoke.key), flight.invoke.op, event.id, reportVersions);
      continue;
    }

    const { invoke } = flight;
    const clientIndex = Number(invoke.client.slice(1));
    if (flight.indeterminate) {
      history.push({ type: 'complete', id: event.id, status: 'info', error: 'timeout', time: event.time });
    } else {
      const completion = flight.completion as Omit<CompleteEvent, 'time'>;
      history.push({ ...completion, time: event.time });
      const version = observedVersion(completion);
      if (version !== undefined) lastSeenVersion.set(`${invoke.client}/${invoke.key}`, version);
    }
    if ((opsStarted.get(clientIndex) ?? 0) < options.opsPerClient) {
      schedule({ time: event.time + randomInt(random, 0, 5), kind: 'invoke', client: clientIndex });
    }
  }
  return history;
}

function chooseOperation(random: () => number, client: string, sequence: number, knownVersion: number): KvOperation {
  const value: JsonValue = { by: client, n: sequence };
  const roll = random();
  // Mostly the version the client last saw, sometimes a neighbour, so some CAS succeed and some fail.
  const expectVersion = Math.max(0, knownVersion + (random() < 0.7 ? 0 : randomInt(random, -1, 1)));
  if (roll < 0.35) return { f: 'read' };
  if (roll < 0.6) return { f: 'write', value };
  if (roll < 0.8) return { f: 'cas', value, expectVersion };
  if (roll < 0.85) return { f: 'create', value };
  if (roll < 0.95) return { f: 'delete' };
  return { f: 'delete', expectVersion };
}

/** Applies `op` atomically and returns what the client will be told. */
function execute(
  register: Register,
  op: KvOperation,
  id: number,
  reportVersions: boolean,
): Omit<CompleteEvent, 'time'> {
  const ok = (result: object): Omit<CompleteEvent, 'time'> => ({ type: 'complete', id, status: 'ok', result });
  const fail = (code: number): Omit<CompleteEvent, 'time'> => ({
    type: 'complete',
    id,
    status: 'fail',
    result: { code },
  });
  const versionResult = () => (reportVersions ? { version: register.version } : {});
  const set = (value: JsonValue) => {
    register.present = true;
    register.value = value;
    register.version++;
    return ok(versionResult());
  };

  switch (op.f) {
    case 'read':
      if (!register.present) return ok({ found: false });
      return ok({ found: true, value: register.value, ...versionResult() });
    case 'write':
      return set(op.value);
    case 'create':
      return register.present ? fail(412) : set(op.value);
    case 'cas':
      return register.present && register.version === op.expectVersion ? set(op.value) : fail(412);
    case 'delete':
      if (!register.present) return fail(404);
      if (op.expectVersion !== undefined && op.expectVersion !== register.version) return fail(412);
      register.present = false;
      register.value = null;
      register.version++;
      return ok(versionResult());
  }
}

function observedVersion(completion: Omit<CompleteEvent, 'time'>): number | undefined {
  const result = completion.result as { version?: number } | undefined;
  return result?.version;
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A tiny seeded PRNG (public domain), good enough for test data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
