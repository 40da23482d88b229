import { Proposer } from './proposer';
import { ReplicationObserver } from './replication-observer';
import { fakeTimeRunner, increment, makeNetwork, makeProposer, protocolFakeTimers } from './testing/test-support';
import { AcceptorClient } from './transport';

const deadline = (ms = 10_000): number => Date.now() + ms;
const { run, settle } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

/** Every report, as "method:argument". */
function recordingObserver(): ReplicationObserver & { readonly reports: string[] } {
  const reports: string[] = [];
  return {
    reports,
    roundEnded: (outcome) => reports.push(`round:${outcome}`),
    roundRetried: (reason) => reports.push(`retry:${reason}`),
    readPeeked: (agreed) => reports.push(`peek:${agreed ? 'agreed' : 'disagreed'}`),
    statementBatched: (kind, size) => reports.push(`statement:${kind}:${size}`),
    peerCallBatched: (kind, size) => reports.push(`frame:${kind}:${size}`),
  };
}

const rounds = (reports: readonly string[]) => reports.filter((report) => report.startsWith('round:'));

/** What the proposer tells its observer (the metrics adapter outside the core counts it). */
describe('Proposer reports to its observer', () => {
  it('a full round, then one round trip through the cached ballot, then an agreed read', async () => {
    const network = makeNetwork(3);
    const observer = recordingObserver();
    const proposer = makeProposer(network, 'n1', { observer });
    await run(proposer.change('k', increment, deadline()));
    await run(proposer.change('k', increment, deadline()));
    await run(proposer.read('k', deadline()));
    expect(observer.reports).toEqual(['round:full_round', 'round:one_rtt', 'peek:agreed']);
  });

  it('no quorum, after retrying the prepares nobody answered', async () => {
    const network = makeNetwork(3);
    network.crash('n2');
    network.crash('n3');
    const observer = recordingObserver();
    const proposer = makeProposer(network, 'n1', { observer, unreachableRetries: 2 });
    await settle(proposer.change('k', increment, deadline()));
    expect(observer.reports).toEqual(['retry:unreachable', 'retry:unreachable', 'round:no_quorum']);
  });

  it('an unknown outcome when the accept replies and every look are lost', async () => {
    const network = makeNetwork(3);
    const lost = (client: AcceptorClient): AcceptorClient => ({
      ...client,
      nodeId: client.nodeId,
      prepare: (requests, timeoutMs) => client.prepare(requests, timeoutMs),
      accept: (requests, timeoutMs) =>
        client.accept(requests, timeoutMs).then(() => Promise.reject(new Error('reply lost'))),
      peek: () => Promise.reject(new Error('peek lost')),
    });
    const observer = recordingObserver();
    const proposer = makeProposer(network, 'n1', { observer, wrap: lost });
    await settle(proposer.change('k', increment, deadline()));
    expect(rounds(observer.reports)).toEqual(['round:outcome_unknown']);
  });

  it('a conflict for the proposer that prepares below a promise, a rejection for the one whose cached ballot was overtaken', async () => {
    const network = makeNetwork(3);
    const first = recordingObserver();
    const second = recordingObserver();
    const n1: Proposer = makeProposer(network, 'n1', { observer: first });
    const n2: Proposer = makeProposer(network, 'n2', { observer: second });
    await run(n1.change('k', increment, deadline())); // n1 holds a promise at its next ballot
    await run(n2.change('k', increment, deadline())); // n2's first prepare is below it
    expect(second.reports).toEqual(['retry:conflict', 'round:full_round']);
    await run(n1.change('k', increment, deadline())); // n1's cached ballot is below n2's promise now
    expect(first.reports).toEqual(['round:full_round', 'retry:rejected', 'round:full_round']);
  });
});
