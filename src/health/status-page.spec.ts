import { HealthCheckResult } from '@nestjs/terminus';
import { escapeHtml, renderStatusPage } from './status-page';
import { statusView } from './status-view';

const healthy: HealthCheckResult = {
  status: 'ok',
  info: {},
  error: {},
  details: {
    cluster: {
      status: 'up',
      nodeId: 'n1',
      peers: {
        n3: {
          url: 'http://n3:1',
          reachable: false,
          voting: false,
          lastRoundTripMs: null,
          lastSeenMsAgo: null,
          lastError: '<script>alert(1)</script>',
        },
        n2: { url: 'http://n2:1', reachable: true, voting: true, lastRoundTripMs: 1.25, lastSeenMsAgo: 420 },
      },
    },
    database: { status: 'up' },
    quorum: { status: 'up', clusterSize: 3, needed: 2, voting: 2, thisNodeVotes: true, unreachable: ['n3'] },
    longPolls: { status: 'up', open: 4, max: 1000 },
  },
};
const at = new Date('2026-12-05T21:00:00.000Z');

describe('the status page', () => {
  it('lists this node first and then its peers, with what the health answer says of each', () => {
    const view = statusView('n1', { healthy: true, result: healthy }, null, at);
    expect(view.nodes.map((node) => [node.id, node.self, node.reachable, node.voting, node.ready])).toEqual([
      ['n1', true, true, true, true],
      ['n2', false, true, true, true],
      ['n3', false, false, false, false],
    ]);
    expect(view.quorum).toEqual({ up: true, clusterSize: 3, needed: 2, voting: 2 });
    const html = renderStatusPage(view);
    expect(html).toContain('<tr data-node="n1">');
    expect(html).toContain('<tr data-node="n2">');
    expect(html).toContain('1.3 ms'); // n2's round trip
    expect(html).toContain('2 of 3 voting');
    expect(html).toContain('measuring…'); // no rate yet
  });

  it('escapes what comes from outside: an error message cannot inject markup', () => {
    const html = renderStatusPage(statusView('n1', { healthy: true, result: healthy }, null, at));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&#39;');
  });

  it('shows the rates, and a node that is shutting down with nothing else known', () => {
    const rates = { windowSeconds: 60, requests: 12.5, clientErrors: 0.25, serverErrors: 0 };
    const ok = renderStatusPage(statusView('n1', { healthy: true, result: healthy }, rates, at));
    expect(ok).toContain('12.5/s');
    expect(ok).toContain('last 60 s');
    const leaving = statusView(
      'n1',
      { healthy: false, result: { status: 'shutting_down', info: {}, error: {}, details: {} } },
      rates,
      at,
    );
    expect(leaving.nodes).toEqual([expect.objectContaining({ id: 'n1', leaving: true, ready: false, voting: null })]);
    expect(renderStatusPage(leaving)).toContain('shutting down');
  });
});
