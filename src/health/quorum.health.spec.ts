import { HealthIndicatorService } from '@nestjs/terminus';
import { loadConfig } from '../config/app-config';
import { AcceptorGate } from '../replication/recovery/acceptor-gate';
import { PeerHealthMonitor, PeerStatus } from '../replication/routing/peer-health.monitor';
import { QuorumHealthIndicator } from './quorum.health';

function indicator(peers: Array<Partial<PeerStatus> & { id: string }>, selfVotes: boolean): QuorumHealthIndicator {
  const config = loadConfig({
    NODE_ID: 'n1',
    PEERS: peers.map((peer) => `${peer.id}=http://${peer.id}:1`).join(','),
    CLUSTER_SECRET: 'sixteen-characters!',
  });
  const monitor = {
    peers: () => peers.map((peer) => ({ url: 'http://x', reachable: true, voting: true, ...peer })),
  } as unknown as PeerHealthMonitor;
  const gate = new AcceptorGate();
  if (selfVotes) gate.open();
  return new QuorumHealthIndicator(config, new HealthIndicatorService(), monitor, gate);
}

describe('QuorumHealthIndicator', () => {
  it('is up with a majority voting, listing who is unreachable', () => {
    const result = indicator([{ id: 'n2' }, { id: 'n3', reachable: false, voting: false }], true).check('quorum');
    expect(result.quorum).toEqual(
      expect.objectContaining({ status: 'up', clusterSize: 3, needed: 2, voting: 2, unreachable: ['n3'] }),
    );
  });

  it('is down when only a minority votes', () => {
    const result = indicator(
      [
        { id: 'n2', reachable: false, voting: false },
        { id: 'n3', reachable: false, voting: false },
      ],
      true,
    ).check('quorum');
    expect(result.quorum.status).toBe('down');
  });

  it('does not count reachable peers that are still catching up, nor this node before it votes', () => {
    expect(indicator([{ id: 'n2', voting: false }, { id: 'n3' }], false).check('q').q.status).toBe('down');
    expect(indicator([{ id: 'n2' }, { id: 'n3' }], false).check('q').q.status).toBe('up');
  });

  it('is up for a single node once it votes', () => {
    expect(indicator([], true).check('q').q.status).toBe('up');
    expect(indicator([], false).check('q').q.status).toBe('down');
  });
});
