import { HealthIndicatorService } from '@nestjs/terminus';
import { loadConfig } from '../config/app-config';
import { PeerHealthMonitor, PeerStatus } from '../replication/routing/peer-health.monitor';
import { PeersHealthIndicator } from './peers.health';

describe('PeersHealthIndicator', () => {
  const config = loadConfig({
    NODE_ID: 'n1',
    PEERS: 'n2=http://n2:1,n3=http://n3:1',
    CLUSTER_SECRET: 'sixteen-characters!',
  });
  const now = Date.now();
  const statuses: PeerStatus[] = [
    {
      id: 'n2',
      url: 'http://n2:1',
      reachable: true,
      voting: true,
      leaving: false,
      lastRoundTripMs: 1.5,
      lastSeenAt: now - 200,
    },
    {
      id: 'n3',
      url: 'http://n3:1',
      reachable: false,
      voting: false,
      leaving: false,
      lastError: 'connect ECONNREFUSED',
    },
  ];
  const indicator = new PeersHealthIndicator(config, new HealthIndicatorService(), {
    peers: () => statuses,
  } as unknown as PeerHealthMonitor);

  it('reports each peer, with the error of an unreachable one, and stays up (the quorum decides)', () => {
    const { cluster } = indicator.check('cluster');
    expect(cluster.status).toBe('up');
    expect(cluster.nodeId).toBe('n1');
    expect(cluster.peers.n2).toEqual({
      url: 'http://n2:1',
      reachable: true,
      voting: true,
      lastRoundTripMs: 1.5,
      lastSeenMsAgo: expect.any(Number),
    });
    expect(cluster.peers.n2?.lastSeenMsAgo).toBeGreaterThanOrEqual(200);
    expect(cluster.peers.n3).toEqual({
      url: 'http://n3:1',
      reachable: false,
      voting: false,
      lastRoundTripMs: null,
      lastSeenMsAgo: null,
      lastError: 'connect ECONNREFUSED',
    });
  });
});
