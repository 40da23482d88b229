import { encodeBallot } from '../ballot';
import { InMemoryNetwork, NetworkError } from './in-memory-network';
import { fakeTimeRunner, protocolFakeTimers } from './test-support';
import { CallTimeoutError } from '../../../common/with-timeout';

const ballot = (counter: number) => encodeBallot({ counter, boot: 0, nodeId: 'p' });

function twoNodes(seed = 1): InMemoryNetwork {
  const network = new InMemoryNetwork({ seed });
  network.addNode('a');
  network.addNode('b');
  return network;
}

const { settle } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

describe('InMemoryNetwork', () => {
  it('delivers calls and records them', async () => {
    const network = twoNodes();
    const outcome = await settle(network.client('a', 'b').prepare([{ key: 'k', ballot: ballot(1) }], 100));
    expect(outcome).toMatchObject({ status: 'fulfilled', value: [{ key: 'k', ok: true }] });
    expect(network.sent).toEqual([{ from: 'a', to: 'b', kind: 'prepare', keys: ['k'] }]);
  });

  it('loses a request: the caller times out and the acceptor never saw it', async () => {
    const network = twoNodes();
    network.setFaults({ dropRequest: 1 });
    const outcome = await settle(network.client('a', 'b').prepare([{ key: 'k', ballot: ballot(1) }], 100));
    expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(CallTimeoutError) });
    expect(network.memoryStore('b').inspect('k').promised).toBe('');
  });

  it('loses a reply: the acceptor applied the request, the caller times out', async () => {
    const network = twoNodes();
    network.setFaults({ dropReply: 1 });
    const outcome = await settle(network.client('a', 'b').prepare([{ key: 'k', ballot: ballot(1) }], 100));
    expect(outcome.status).toBe('rejected');
    expect(network.memoryStore('b').inspect('k').promised).toBe(ballot(1));
  });

  it('duplicates a request: the acceptor sees it twice', async () => {
    const network = twoNodes();
    network.setFaults({ duplicate: 1 });
    const store = network.memoryStore('b');
    const seen: number[] = [];
    const original = store.prepare.bind(store);
    store.prepare = (requests) => {
      seen.push(requests.length);
      return original(requests);
    };
    const outcome = await settle(network.client('a', 'b').prepare([{ key: 'k', ballot: ballot(1) }], 100));
    await settle(new Promise((resolve) => setTimeout(resolve, 10)));
    expect(outcome).toMatchObject({ status: 'fulfilled', value: [{ ok: true }] }); // the first copy's reply
    expect(seen).toEqual([1, 1]);
  });

  it('refuses calls to a crashed node at once and cuts partitioned links silently', async () => {
    const network = twoNodes();
    network.crash('b');
    const started = Date.now();
    const refused = await settle(network.client('a', 'b').peek(['k'], 1000));
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(NetworkError) });
    expect(Date.now() - started).toBeLessThan(1000);

    network.restart('b');
    network.partition(['a'], ['b']);
    expect(await settle(network.client('a', 'b').peek(['k'], 100))).toMatchObject({
      status: 'rejected',
      reason: expect.any(CallTimeoutError),
    });
    expect((await settle(network.client('b', 'b').peek(['k'], 100))).status).toBe('fulfilled'); // local calls still work
    network.heal();
    expect((await settle(network.client('a', 'b').peek(['k'], 100))).status).toBe('fulfilled');
  });

  it('reorders messages with random delays, identically for the same seed', async () => {
    const arrivals = async (seed: number): Promise<string[]> => {
      const network = twoNodes(seed);
      network.setFaults({ minDelayMs: 0, maxDelayMs: 50 });
      const order: string[] = [];
      const calls = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map((key) =>
        network
          .client('a', 'b')
          .peek([key], 1000)
          .then(() => order.push(key)),
      );
      await settle(Promise.all(calls));
      return order;
    };
    const first = await arrivals(3);
    expect(await arrivals(3)).toEqual(first);
    expect(first).not.toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  });
});
