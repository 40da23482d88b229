import { NodeProcess, NodeSpec } from './node-process';
import { freePort } from './ports';

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly spec: NodeSpec;
  /** The running process, if any (undefined once stopped or killed). */
  process?: NodeProcess;
}

export interface ClusterOptions<Extra extends object> {
  /** Node ids; n1..nN when only a size is given. */
  readonly ids?: readonly string[];
  readonly size?: number;
  /** Fixed ports by node id (npm run cluster); free ports otherwise. */
  readonly ports?: ReadonlyMap<string, number>;
  /** Shared by the nodes of a cluster of two or more; a single node gets none. */
  readonly secret?: string;
  /** Each node's database: { DATABASE_URL } or { DATA_DIR } (the embedded server). */
  readonly database: (id: string, extra: Extra) => Record<string, string> | Promise<Record<string, string>>;
  /** How node `from` reaches peer `to`: straight to its port unless given (the chaos harness puts a proxy between). */
  readonly peerUrl?: (from: string, to: string) => string;
  /** More environment for every node (LOG_LEVEL, REQUEST_TIMEOUT_MS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logFile?: (id: string) => string;
  readonly onLine?: (id: string, line: string) => void;
  readonly nodeArgs?: readonly string[];
  readonly main?: string;
  /** How messages name each node; its id by default. */
  readonly label?: (id: string) => string;
  readonly startTimeoutMs?: number;
  /** Whatever the caller keeps per node (a test database, say). */
  readonly extra?: (id: string) => Extra | Promise<Extra>;
}

/**
 * N node processes on loopback, each configured with the others as peers.
 * plan() fixes each node's port and environment without starting anything, so
 * one node can be (re)started on its own; start() plans and starts them all.
 */
export class Cluster<Extra extends object = object> {
  private constructor(readonly nodes: Array<ClusterNode & Extra>) {}

  static async plan<Extra extends object = object>(options: ClusterOptions<Extra>): Promise<Cluster<Extra>> {
    const ids = options.ids ?? Array.from({ length: options.size ?? 3 }, (_, index) => `n${index + 1}`);
    const ports = new Map<string, number>();
    for (const id of ids) ports.set(id, options.ports?.get(id) ?? (await freePort()));
    const peerUrl = options.peerUrl ?? ((_from: string, to: string) => `http://127.0.0.1:${ports.get(to)}`);
    if (ids.length > 1 && !options.secret) throw new Error('a cluster of two or more nodes needs a secret');

    const nodes: Array<ClusterNode & Extra> = [];
    for (const id of ids) {
      const extra = (await options.extra?.(id)) ?? ({} as Extra);
      const topology: Record<string, string> =
        ids.length > 1
          ? {
              PEERS: ids
                .filter((peer) => peer !== id)
                .map((peer) => `${peer}=${peerUrl(id, peer)}`)
                .join(','),
              CLUSTER_SECRET: options.secret!,
            }
          : {};
      const spec: NodeSpec = {
        id,
        port: ports.get(id)!,
        env: { ...options.env, ...topology, ...(await options.database(id, extra)) },
        logFile: options.logFile?.(id),
        onLine: options.onLine && ((line: string) => options.onLine!(id, line)),
        nodeArgs: options.nodeArgs,
        main: options.main,
        label: options.label?.(id),
      };
      nodes.push({ ...extra, id, port: spec.port, spec });
    }
    return new Cluster(nodes);
  }

  /** Plans and starts every node; on failure stops the ones that did start. */
  static async start<Extra extends object = object>(options: ClusterOptions<Extra>): Promise<Cluster<Extra>> {
    const cluster = await Cluster.plan(options);
    try {
      await Promise.all(cluster.ids().map((id) => cluster.startNode(id, { startTimeoutMs: options.startTimeoutMs })));
    } catch (error) {
      await cluster.killAll();
      throw error;
    }
    return cluster;
  }

  ids(): string[] {
    return this.nodes.map((node) => node.id);
  }

  node(id: string): ClusterNode & Extra {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  url(id: string): string {
    return `http://127.0.0.1:${this.node(id).port}`;
  }

  /** Starts the node's process (its database as it is) and waits until it answers HTTP. */
  async startNode(id: string, options: { startTimeoutMs?: number } = {}): Promise<NodeProcess> {
    const node = this.node(id);
    if (node.process?.isRunning()) throw new Error(`node ${id} is already running`);
    node.process = await NodeProcess.start(node.spec, options);
    return node.process;
  }

  /** SIGKILL, like a power cut of the process; its database stays. */
  async kill(id: string): Promise<void> {
    const node = this.node(id);
    const process = node.process;
    node.process = undefined;
    await process?.kill();
  }

  async killAll(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.kill(id)));
  }

  /** Until each node can serve quorum operations. */
  async waitUntilReady(ids: readonly string[] = this.ids(), timeoutMs = 60_000): Promise<void> {
    await Promise.all(ids.map((id) => this.running(id).waitUntilReady(timeoutMs)));
  }

  /** Until each node's acceptor votes. */
  async waitUntilVoting(ids: readonly string[] = this.ids(), timeoutMs = 60_000): Promise<void> {
    await Promise.all(ids.map((id) => this.running(id).waitUntilVoting(timeoutMs)));
  }

  /** Everything each node printed (its last lines). */
  logs(): string {
    return this.nodes.map((node) => `--- ${node.id}\n${node.process?.output() ?? '(not running)'}`).join('\n');
  }

  private running(id: string): NodeProcess {
    const process = this.node(id).process;
    if (!process) throw new Error(`node ${id} is not running`);
    return process;
  }
}
