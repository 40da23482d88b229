import type { NodeStatus } from './client';
import { statusTable, summarize, table } from './kvctl-output';
import type { HealthResult } from './wire';

/** /kv-store/v1/health as a node of three answers it (src/health). */
function health(options: { votes: boolean; status?: HealthResult['status'] }): HealthResult {
  const details = {
    cluster: {
      status: 'up' as const,
      nodeId: 'n1',
      peers: {
        n2: { url: 'http://b', reachable: true, voting: true, lastRoundTripMs: 1.5, lastSeenMsAgo: 10 },
        n3: { url: 'http://c', reachable: false, voting: false, lastRoundTripMs: null, lastError: 'ECONNREFUSED' },
      },
    },
    quorum: {
      status: 'up' as const,
      clusterSize: 3,
      needed: 2,
      voting: 2,
      thisNodeVotes: options.votes,
      unreachable: ['n3'],
    },
  };
  return { status: options.status ?? 'ok', info: {}, error: {}, details };
}
const reachable = (result: HealthResult, httpStatus = 200): NodeStatus => ({
  url: 'http://a',
  reachable: true,
  httpStatus,
  health: result,
  roundTripMs: 2.5,
});

describe('kvctl status', () => {
  it('gives each node its role from its own health: voter, catching-up, leaving or unreachable', () => {
    expect(summarize(reachable(health({ votes: true })))).toEqual({
      url: 'http://a',
      nodeId: 'n1',
      reachable: true,
      role: 'voter',
      ready: true,
      quorum: { voting: 2, needed: 2, clusterSize: 3 },
      roundTripMs: 2.5,
      peers: {
        n2: { reachable: true, voting: true, lastRoundTripMs: 1.5 },
        n3: { reachable: false, voting: false, lastRoundTripMs: null },
      },
    });
    expect(summarize(reachable(health({ votes: false }), 503))).toMatchObject({ role: 'catching-up', ready: false });
    const leaving: HealthResult = { status: 'shutting_down', info: {}, error: {}, details: {} };
    expect(summarize(reachable(leaving, 503))).toMatchObject({
      role: 'leaving',
      ready: false,
      quorum: null,
      peers: {},
    });
    expect(summarize({ url: 'http://d', reachable: false, error: 'ECONNREFUSED' })).toMatchObject({
      role: 'unreachable',
      error: 'ECONNREFUSED',
    });
  });

  it('prints the nodes, then what each says of its peers, in aligned columns', () => {
    const text = statusTable([summarize(reachable(health({ votes: true })))]);
    expect(text.split('\n')).toEqual([
      'NODE  URL       ROLE   READY  VOTING         RTT',
      'n1    http://a  voter  yes    2/3 (needs 2)  2.5 ms',
      '',
      'FROM  PEER  REACHABLE  VOTING  RTT',
      'n1    n2    yes        yes     1.5 ms',
      'n1    n3    NO         no      -',
    ]);
    expect(table(['A', 'B'], [])).toBe('A  B');
  });
});
