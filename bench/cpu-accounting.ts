import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the CPU time of a measured window went, read from Linux /proc: the
 * machine as a whole, the kv-store node processes, the PostgreSQL servers they
 * started, and this process (the load generator). On a machine without /proc
 * the process figures are absent and only the load generator is known.
 */
export interface CpuUsage {
  readonly wallSeconds: number;
  /** Cores busy on average over the window (all processes, hypervisor steal excluded). */
  readonly machineBusyCores?: number;
  /** Cores taken away by the hypervisor on average ("steal": the machine is shared). */
  readonly stealCores?: number;
  /**
   * Cores spent in interrupt and softirq context (loopback TCP is mostly
   * processed there). The kernel charges it to no process, so it is counted
   * apart: most of it is ours, but it cannot be told apart.
   */
  readonly interruptCores?: number;
  /** CPU seconds used by the given kv-store node processes. */
  readonly kvNodeSeconds?: number;
  /** CPU seconds used by the postgres processes under those nodes. */
  readonly postgresSeconds?: number;
  /** CPU seconds used by this process: autocannon plus the (idle) orchestration. */
  readonly loadGeneratorSeconds: number;
  /**
   * Cores busy on average with work that is not this benchmark's (its process
   * and everything it started): other tenants' processes on a shared machine.
   */
  readonly outsideCores?: number;
}

export interface CpuSnapshot {
  readonly atMs: number;
  readonly self: NodeJS.CpuUsage;
  readonly machine?: { readonly busyTicks: number; readonly stealTicks: number; readonly interruptTicks: number };
  /** CPU ticks per pid of every descendant of this process, with its parent and name. */
  readonly processes?: ReadonlyMap<number, ProcessTicks>;
}

interface ProcessTicks {
  readonly ppid: number;
  readonly comm: string;
  readonly ticks: number;
}

/** USER_HZ: the unit of /proc times. 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

export function takeCpuSnapshot(): CpuSnapshot {
  return {
    atMs: performance.now(),
    self: process.cpuUsage(),
    machine: readMachineTicks(),
    processes: readDescendantTicks(),
  };
}

/** CPU used between two snapshots; nodePids are the kv-store processes of the target under test. */
export function cpuUsageBetween(before: CpuSnapshot, after: CpuSnapshot, nodePids: readonly number[]): CpuUsage {
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  const selfMicros = after.self.user + after.self.system - (before.self.user + before.self.system);
  const usage: { -readonly [K in keyof CpuUsage]: CpuUsage[K] } = {
    wallSeconds,
    loadGeneratorSeconds: selfMicros / 1e6,
  };
  if (before.machine && after.machine) {
    usage.machineBusyCores = (after.machine.busyTicks - before.machine.busyTicks) / TICKS_PER_SECOND / wallSeconds;
    usage.stealCores = (after.machine.stealTicks - before.machine.stealTicks) / TICKS_PER_SECOND / wallSeconds;
    usage.interruptCores =
      (after.machine.interruptTicks - before.machine.interruptTicks) / TICKS_PER_SECOND / wallSeconds;
  }
  if (before.processes && after.processes) {
    let kvTicks = 0;
    let postgresTicks = 0;
    const nodes = new Set(nodePids);
    for (const [pid, now] of after.processes) {
      const used = now.ticks - (before.processes.get(pid)?.ticks ?? 0);
      if (nodes.has(pid)) kvTicks += used;
      else if (now.comm === 'postgres' && hasAncestorIn(pid, nodes, after.processes)) postgresTicks += used;
    }
    usage.kvNodeSeconds = kvTicks / TICKS_PER_SECOND;
    usage.postgresSeconds = postgresTicks / TICKS_PER_SECOND;
    if (usage.machineBusyCores !== undefined) {
      let treeTicks = 0;
      for (const [pid, now] of after.processes) treeTicks += now.ticks - (before.processes.get(pid)?.ticks ?? 0);
      const benchCores = (treeTicks / TICKS_PER_SECOND + usage.loadGeneratorSeconds) / wallSeconds;
      usage.outsideCores = Math.max(0, usage.machineBusyCores - benchCores - (usage.interruptCores ?? 0));
    }
  }
  return usage;
}

function hasAncestorIn(
  pid: number,
  ancestors: ReadonlySet<number>,
  processes: ReadonlyMap<number, ProcessTicks>,
): boolean {
  for (
    let current = processes.get(pid)?.ppid;
    current !== undefined && current > 1;
    current = processes.get(current)?.ppid
  ) {
    if (ancestors.has(current)) return true;
  }
  return false;
}

/** First line of /proc/stat: user nice system idle iowait irq softirq steal ... */
function readMachineTicks(): CpuSnapshot['machine'] {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return { busyTicks: user + nice + system + irq + softirq, stealTicks: steal, interruptTicks: irq + softirq };
  } catch {
    return undefined;
  }
}

function readDescendantTicks(): Map<number, ProcessTicks> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const all = new Map<number, ProcessTicks>();
  for (const name of entries) {
    const stat = readProcessStat(Number(name));
    if (stat) all.set(Number(name), stat);
  }
  const descendants = new Map<number, ProcessTicks>();
  for (const [pid, stat] of all) {
    for (
      let current: number | undefined = stat.ppid;
      current !== undefined && current > 0;
      current = all.get(current)?.ppid
    ) {
      if (current === process.pid) {
        descendants.set(pid, stat);
        break;
      }
    }
  }
  return descendants;
}

/** /proc/PID/stat: "pid (comm) state ppid ... utime stime ..."; comm may hold spaces and parentheses. */
function readProcessStat(pid: number): ProcessTicks | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { comm: text.slice(open + 1, close), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined; // the process ended between readdir and read
  }
}
