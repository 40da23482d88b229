import { AppConfig, loadConfig } from '../../config/app-config';
import { Departure } from './departure';
import { KeyRouter } from './key-router';
import { PeerHealthMonitor, PeerStatus } from './peer-health.monitor';

function routerFor(
  self: string,
  reachable: Record<string, boolean>,
  leaving: { self?: boolean; peers?: readonly string[] } = {},
): KeyRouter {
  const peers = Object.keys(reachable);
  const config: AppConfig = loadConfig({
    NODE_ID: self,
    PEERS: peers.map((id) => `${id}=http://${id}:8000`).join(','),
    CLUSTER_SECRET: 'sixteen-characters!',
  });
  const statuses: PeerStatus[] = peers.map((id) => ({
    id,
    url: `http://${id}:8000`,
    reachable: reachable[id]!,
    voting: true,
    leaving: leaving.peers?.includes(id) ?? false,
  }));
  const health = { peers: () => statuses } as unknown as PeerHealthMonitor;
  return new KeyRouter(config, health, { leaving: leaving.self ?? false } as Departure);
}

const keys = Array.from({ length: 3000 }, (_, i) => `key-${i}`);

describe('KeyRouter', () => {
  it('gives every node the same answer when they agree on who is up', () => {
    const n1 = routerFor('n1', { n2: true, n3: true });
    const n2 = routerFor('n2', { n1: true, n3: true });
    const n3 = routerFor('n3', { n1: true, n2: true });
    for (const key of keys) {
      const chosen = n1.preferredNode(key);
      expect(n2.preferredNode(key)).toBe(chosen);
      expect(n3.preferredNode(key)).toBe(chosen);
    }
  });

  it('spreads keys roughly evenly', () => {
    const router = routerFor('n1', { n2: true, n3: true });
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(router.preferredNode(key), (counts.get(router.preferredNode(key)) ?? 0) + 1);
    for (const node of ['n1', 'n2', 'n3']) expect(counts.get(node)).toBeGreaterThan(keys.length / 3 - 200);
  });

  it('moves only the keys of an unreachable node, and never to it', () => {
    const all = routerFor('n1', { n2: true, n3: true });
    const withoutN3 = routerFor('n1', { n2: true, n3: false });
    for (const key of keys) {
      const before = all.preferredNode(key);
      const after = withoutN3.preferredNode(key);
      expect(after).not.toBe('n3');
      if (before !== 'n3') expect(after).toBe(before);
    }
  });

  it('moves the keys of a peer that is leaving, and only those, the same way on every node', () => {
    const all = routerFor('n1', { n2: true, n3: true });
    const n1 = routerFor('n1', { n2: true, n3: true }, { peers: ['n3'] });
    const n2 = routerFor('n2', { n1: true, n3: true }, { peers: ['n3'] });
    const n3 = routerFor('n3', { n1: true, n2: true }, { self: true });
    for (const key of keys) {
      const after = n1.preferredNode(key);
      expect(after).not.toBe('n3');
      if (all.preferredNode(key) !== 'n3') expect(after).toBe(all.preferredNode(key));
      expect(n2.preferredNode(key)).toBe(after);
      expect(n3.preferredNode(key)).toBe(after);
    }
  });

  it('proposes itself when it is leaving but no peer is there to take its keys', () => {
    const router = routerFor('n1', { n2: false, n3: false }, { self: true, peers: [] });
    expect(keys.every((key) => router.preferredNode(key) === 'n1')).toBe(true);
    const othersLeaving = routerFor('n1', { n2: true, n3: true }, { self: true, peers: ['n2', 'n3'] });
    expect(keys.every((key) => othersLeaving.preferredNode(key) === 'n1')).toBe(true);
  });

  it('routes everything to itself without peers', () => {
    const router = routerFor('solo', {});
    expect(keys.every((key) => router.preferredNode(key) === 'solo')).toBe(true);
  });
});
