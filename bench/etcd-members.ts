import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const START_TIMEOUT_MS = 60_000;
/** etcd's default --max-txn-ops: puts per preload transaction. */
const TXN_OPS = 128;

export interface EtcdMember {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

/** The etcd binary on PATH and its version, or undefined when there is none (Debian: apt-get install etcd-server). */
export function findEtcd(): { binary: string; version: string } | undefined {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  const version = /etcd Version: (\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  return { binary: 'etcd', version };
}

/**
 * Three etcd members on this machine, as the comparison runs them: one data
 * directory each under `root`, default durability (every commit fsynced by a
 * majority), clients on the v3 JSON gateway of each member.
 */
export class EtcdMembers {
  private constructor(
    readonly members: readonly EtcdMember[],
    private readonly processes: readonly ChildProcess[],
    private readonly output: Map<ChildProcess, string[]>,
  ) {}

  static async start(root: string, size = 3): Promise<EtcdMembers> {
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    const names = Array.from({ length: size }, (_, i) => `etcd${i + 1}`);
    const peerUrl = (i: number): string => `http://127.0.0.1:${ports[size + i]}`;
    const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i]}`;
    const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(',');
    const output = new Map<ChildProcess, string[]>();
    const processes = names.map((name, i) => {
      const child = spawn(
        'etcd',
        [
          `--name=${name}`,
          `--data-dir=${path.join(root, name)}`,
          `--listen-client-urls=${clientUrl(i)}`,
          `--advertise-client-urls=${clientUrl(i)}`,
          `--listen-peer-urls=${peerUrl(i)}`,
          `--initial-advertise-peer-urls=${peerUrl(i)}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-token=kv-store-bench',
          '--initial-cluster-state=new',
          '--logger=zap',
          '--log-level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const lines: string[] = [];
      output.set(child, lines);
      const keep = (chunk: Buffer): void => {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        lines.splice(0, Math.max(0, lines.length - 200));
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      return child;
    });
    const members = processes.map((child, i) => ({
      name: `etcd/${names[i]}`,
      url: clientUrl(i),
      pid: child.pid ?? -1,
    }));
    const started = new EtcdMembers(members, processes, output);
    try {
      await Promise.all(members.map((member) => started.waitUntilHealthy(member)));
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  }

  /** Members that exited although nobody asked them to stop, with their last output. */
  unexpectedExits(): string[] {
    return this.processes.flatMap((child, i) =>
      child.exitCode === null && child.signalCode === null
        ? []
        : [
            `${this.members[i]!.name} (exit ${child.exitCode ?? child.signalCode})\n${this.output.get(child)!.join('\n')}`,
          ],
    );
  }

  /** Writes keyName(0 .. count-1) with the given values, TXN_OPS puts per transaction. */
  async preload(keyName: (index: number) => string, value: (index: number) => string, count: number): Promise<void> {
    const base64 = (text: string): string => Buffer.from(text).toString('base64');
    for (let first = 0; first < count; first += TXN_OPS) {
      const success = [];
      for (let index = first; index < Math.min(count, first + TXN_OPS); index++)
        success.push({ request_put: { key: base64(keyName(index)), value: base64(JSON.stringify(value(index))) } });
      const response = await fetch(`${this.members[0]!.url}/v3/kv/txn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ success }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`etcd preload at ${first}: HTTP ${response.status} ${await response.text()}`);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private async waitUntilHealthy(member: EtcdMember): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last = 'no answer';
    while (Date.now() < deadline) {
      const child = this.processes[this.members.indexOf(member)]!;
      if (child.exitCode !== null) throw new Error(`${member.name} exited:\n${this.output.get(child)!.join('\n')}`);
      try {
        const response = await fetch(`${member.url}/health`, { signal: AbortSignal.timeout(2000) });
        const text = await response.text();
        if (response.ok && text.includes('"health":"true"')) return;
        last = `HTTP ${response.status} ${text}`;
      } catch (error) {
        last = String(error);
      }
      await sleep(200);
    }
    throw new Error(`${member.name} was not healthy within ${START_TIMEOUT_MS} ms (last: ${last})`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
