import { loadConfig } from '../../config/app-config';
import { NodeMeta } from '../core/node-meta';
import { encodeBallot } from '../core/ballot';
import { AcceptorGate } from './acceptor-gate';
import { CatchUpService } from './catch-up.service';
import { CatchUpStaging } from './catch-up-staging';
import { mergeRegisters } from './merged-scan';
import { PeerScanClient, ScanPage } from './peer-scan-client';
import { ScannedRegister } from './register-scanner';

const b = (counter: number, node = 'p') => encodeBallot({ counter, boot: 1, nodeId: node });
const row = (key: string, value: unknown, accepted: number, promised = accepted + 1): ScannedRegister => ({
  key,
  promised: b(promised),
  accepted: b(accepted),
  state: { present: true, value, version: accepted, lineage: [b(accepted), ''] },
});

/** A peer that serves fixed rows in pages, or fails. */
function peer(id: string, behaviour: { voting: boolean; rows: ScannedRegister[] } | 'down'): PeerScanClient {
  return {
    peer: { id, url: `http://${id}` },
    scan: async (after: string | null, limit: number): Promise<ScanPage> => {
      if (behaviour === 'down') throw new Error('connect ECONNREFUSED');
      const rows = behaviour.rows.filter((r) => after === null || r.key > after).slice(0, limit);
      return { rows, voting: behaviour.voting };
    },
  } as unknown as PeerScanClient;
}

/**
 * The staging and the live store in memory, with PgCatchUpStaging's rules: a
 * switch merges by maximum into the live registers and writes the caught-up
 * mark with them. It also records how the service uses it.
 */
class MemoryStaging extends CatchUpStaging {
  staged: ScannedRegister[] = [];
  readonly live = new Map<string, ScannedRegister>();
  addsInFlight = 0;
  mostAddsInFlight = 0;
  largestAdd = 0;

  constructor(private readonly meta: NodeMeta) {
    super();
  }

  clear = async (): Promise<void> => {
    this.staged = [];
  };

  add = async (registers: readonly ScannedRegister[]): Promise<void> => {
    this.addsInFlight += 1;
    this.mostAddsInFlight = Math.max(this.mostAddsInFlight, this.addsInFlight);
    this.largestAdd = Math.max(this.largestAdd, registers.length);
    await new Promise((resolve) => setImmediate(resolve));
    this.staged.push(...registers);
    this.addsInFlight -= 1;
  };

  switchIn = async (incarnation: string): Promise<void> => {
    for (const register of this.staged) {
      const live = this.live.get(register.key);
      this.live.set(register.key, live ? mergeRegisters(live, register) : register);
    }
    this.staged = [];
    await this.meta.markCaughtUp(incarnation);
  };
}

function service(peers: PeerScanClient[]) {
  const config = loadConfig({
    NODE_ID: 'n1',
    PEERS: peers.map((p) => `${p.peer.id}=http://${p.peer.id}:1`).join(','),
    CLUSTER_SECRET: 'sixteen-characters!',
    REQUEST_TIMEOUT_MS: '100',
  });
  const meta = new FreshDatabaseMeta();
  const gate = new AcceptorGate();
  const staging = new MemoryStaging(meta);
  return { gate, meta, staging, catchUp: new CatchUpService(config, meta, gate, peers, staging) };
}

describe('CatchUpService.catchUpOnce', () => {
  const run = (s: CatchUpService) =>
    (s as unknown as { catchUpOnce(incarnation: string): Promise<unknown> }).catchUpOnce('fresh');

  it('switches nothing in while too few peers can serve, so it stays a usable source for others', async () => {
    const { catchUp, staging, meta } = service([
      peer('n2', { voting: true, rows: [row('k', 'v', 3)] }),
      peer('n3', 'down'),
    ]);
    expect(await run(catchUp)).toBeUndefined();
    expect(staging.live.size).toBe(0);
    expect(await meta.hasCaughtUp('fresh')).toBe(false);
  });

  it('keeps, per key, the highest accepted value (with its lineage) and the highest promise among its sources', async () => {
    const n2 = peer('n2', { voting: true, rows: [row('a', 'old', 3, 9), row('b', 'only-n2', 2)] });
    const n3 = peer('n3', { voting: true, rows: [row('a', 'new', 5, 6)] });
    const { catchUp, staging, meta } = service([n2, n3]);
    expect(await run(catchUp)).toEqual(expect.objectContaining({ registers: 2, sources: ['n2', 'n3'] }));
    // The lineage is copied with the value: outcome resolution reads it on this node as on any other.
    expect(staging.live.get('a')).toEqual({
      key: 'a',
      accepted: b(5),
      promised: b(9),
      state: { present: true, value: 'new', version: 5, lineage: [b(5), ''] },
    });
    expect(staging.live.get('b')!.state.value).toBe('only-n2');
    expect(await meta.hasCaughtUp('fresh')).toBe(true);
  });

  it("copies a key's expiry with its value, so the expirer still deletes it on time", async () => {
    const lease = row('t', 'lease', 4);
    const expiring = { ...lease, state: { ...lease.state, expiresAt: 1_800_000_000_000 } };
    const { catchUp, staging } = service([
      peer('n2', { voting: true, rows: [expiring] }),
      peer('n3', { voting: true, rows: [] }),
    ]);
    expect(await run(catchUp)).toEqual(expect.objectContaining({ registers: 1, sources: ['n2', 'n3'] }));
    expect(staging.live.get('t')!.state.expiresAt).toBe(1_800_000_000_000);
  });

  it('uses a peer that is catching up too only while it holds nothing', async () => {
    const partial = peer('n3', { voting: false, rows: [row('x', 'half-copied', 1)] });
    const refused = service([peer('n2', { voting: true, rows: [] }), partial]);
    expect(await run(refused.catchUp)).toBeUndefined();
    expect(refused.staging.live.size).toBe(0);
    const empty = peer('n3', { voting: false, rows: [] });
    const { catchUp } = service([peer('n2', { voting: true, rows: [row('y', 1, 1)] }), empty]);
    expect(await run(catchUp)).toEqual(expect.objectContaining({ registers: 1, sources: ['n2', 'n3'] }));
  });

  it('never switches in what an earlier attempt, or a run that crashed, left in the staging', async () => {
    const { catchUp, staging } = service([
      peer('n2', { voting: true, rows: [row('a', 1, 1)] }),
      peer('n3', { voting: true, rows: [] }),
    ]);
    staging.staged = [row('left-over', 'from a crashed run', 7)];
    await run(catchUp);
    expect([...staging.live.keys()]).toEqual(['a']);
  });

  it('stages a bounded batch at a time, one write in flight, however many keys there are', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(`k${String(i).padStart(5, '0')}`, i, 1));
    const { catchUp, staging } = service([
      peer('n2', { voting: true, rows }),
      peer('n3', { voting: true, rows: rows.slice(0, 100) }),
    ]);
    expect(await run(catchUp)).toEqual(expect.objectContaining({ registers: 5000, sources: ['n2', 'n3'] }));
    expect(staging.live.size).toBe(5000);
    expect(staging.mostAddsInFlight).toBe(1);
    expect(staging.largestAdd).toBeLessThanOrEqual(1000);
  });
});

describe('CatchUpService on a new database', () => {
  it('keeps the gate closed until the copy is switched in, then opens it', async () => {
    const { catchUp, gate, staging } = service([
      peer('n2', { voting: true, rows: [row('a', 1, 1)] }),
      peer('n3', { voting: true, rows: [] }),
    ]);
    await catchUp.onApplicationBootstrap();
    expect(gate.isVoting).toBe(false);
    while (!gate.isVoting) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(staging.live.has('a')).toBe(true);
    await catchUp.onApplicationShutdown();
  });

  it('reports its phase and the registers it copied, for the metrics', async () => {
    const { catchUp, gate } = service([
      peer('n2', { voting: true, rows: [row('a', 1, 1), row('b', 2, 2)] }),
      peer('n3', { voting: true, rows: [row('c', 3, 3)] }),
    ]);
    expect(catchUp.progress).toEqual({ phase: 'starting', registersCopied: 0 });
    await catchUp.onApplicationBootstrap();
    expect(catchUp.progress).toEqual({ phase: 'waiting', registersCopied: 0 }); // the delay before copying
    while (!gate.isVoting) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(catchUp.progress).toEqual({ phase: 'done', registersCopied: 3 });
    await catchUp.onApplicationShutdown();
  });

  it('votes at once on a database whose copy was switched in before a restart', async () => {
    const { meta, staging, gate } = service([peer('n2', 'down'), peer('n3', 'down')]);
    await meta.markCaughtUp(await meta.incarnation());
    const config = loadConfig({
      NODE_ID: 'n1',
      PEERS: 'n2=http://n2:1,n3=http://n3:1',
      CLUSTER_SECRET: 'sixteen-characters!',
    });
    const restarted = new CatchUpService(config, meta, gate, [peer('n2', 'down'), peer('n3', 'down')], staging);
    await restarted.onApplicationBootstrap();
    expect(gate.isVoting).toBe(true);
    expect(restarted.progress).toEqual({ phase: 'done', registersCopied: 0 });
  });
});

/** A database that was just created: it has never voted, so the node must catch up. */
class FreshDatabaseMeta extends NodeMeta {
  private caughtUp?: string;
  nextBoot = async (): Promise<number> => 1;
  incarnation = async (): Promise<string> => 'fresh';
  hasCaughtUp = async (incarnation: string): Promise<boolean> => this.caughtUp === incarnation;
  markCaughtUp = async (incarnation: string): Promise<void> => {
    this.caughtUp = incarnation;
  };
}
