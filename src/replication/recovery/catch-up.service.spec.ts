import { loadConfig } from '../../config/app-config';
import { NodeMeta } from '../core/node-meta';
import { encodeBallot } from '../core/ballot';
import { MemoryAcceptorStore } from '../core/testing/memory-acceptor-store';
import { AcceptorGate } from './acceptor-gate';
import { CatchUpService } from './catch-up.service';
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

function service(peers: PeerScanClient[], store: MemoryAcceptorStore) {
  const config = loadConfig({
    NODE_ID: 'n1',
    PEERS: peers.map((p) => `${p.peer.id}=http://${p.peer.id}:1`).join(','),
    CLUSTER_SECRET: 'sixteen-characters!',
    REQUEST_TIMEOUT_MS: '100',
  });
  const meta = new FreshDatabaseMeta();
  const gate = new AcceptorGate();
  return { gate, catchUp: new CatchUpService(config, meta, gate, store, peers) };
}

describe('CatchUpService.catchUpOnce', () => {
  const run = (s: CatchUpService) => (s as unknown as { catchUpOnce(): Promise<number | undefined> }).catchUpOnce();

  it('writes nothing locally while too few peers can serve, so it stays a usable source for others', async () => {
    const store = new MemoryAcceptorStore();
    const { catchUp } = service([peer('n2', { voting: true, rows: [row('k', 'v', 3)] }), peer('n3', 'down')], store);
    expect(await run(catchUp)).toBeUndefined();
    expect(store.inspect('k')).toEqual(expect.objectContaining({ accepted: '', promised: '' }));
  });

  it('keeps, per key, the highest accepted value (with its lineage) and the highest promise among its sources', async () => {
    const store = new MemoryAcceptorStore();
    const n2 = peer('n2', { voting: true, rows: [row('a', 'old', 3, 9), row('b', 'only-n2', 2)] });
    const n3 = peer('n3', { voting: true, rows: [row('a', 'new', 5, 6)] });
    const { catchUp } = service([n2, n3], store);
    expect(await run(catchUp)).toBe(2);
    // The lineage is copied with the value: outcome resolution reads it on this node as on any other.
    expect(store.inspect('a')).toEqual({
      accepted: b(5),
      promised: b(9),
      state: { present: true, value: 'new', version: 5, lineage: [b(5), ''] },
    });
    expect((await store.peek(['b']))[0]!.state.value).toBe('only-n2');
  });

  it("copies a key's expiry with its value, so the expirer still deletes it on time", async () => {
    const store = new MemoryAcceptorStore();
    const lease = row('t', 'lease', 4);
    const expiring = { ...lease, state: { ...lease.state, expiresAt: 1_800_000_000_000 } };
    const peers = [peer('n2', { voting: true, rows: [expiring] }), peer('n3', { voting: true, rows: [] })];
    expect(await run(service(peers, store).catchUp)).toBe(1);
    expect(store.inspect('t').state.expiresAt).toBe(1_800_000_000_000);
    expect((await store.expiredBy(1_800_000_000_000, 10)).map((reply) => reply.key)).toEqual(['t']);
  });

  it('uses a peer that is catching up too only while it holds nothing', async () => {
    const store = new MemoryAcceptorStore();
    const partial = peer('n3', { voting: false, rows: [row('x', 'half-copied', 1)] });
    const { catchUp } = service([peer('n2', { voting: true, rows: [] }), partial], store);
    expect(await run(catchUp)).toBeUndefined();
    const empty = peer('n3', { voting: false, rows: [] });
    expect(await run(service([peer('n2', { voting: true, rows: [row('y', 1, 1)] }), empty], store).catchUp)).toBe(1);
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
