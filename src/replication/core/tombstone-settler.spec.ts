import { IDENTITY } from './change';
import { RegisterContent } from './register';
import { InMemoryNetwork } from './testing/in-memory-network';
import { fakeTimeRunner, makeNetwork, makeProposer, protocolFakeTimers, put } from './testing/test-support';
import { TombstoneSettler } from './tombstone-settler';
import { Proposer } from './proposer';

const deadline = (ms = 10_000): number => Date.now() + ms;
const { run } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

const remove = (current: RegisterContent) => ({
  state: { present: false, value: undefined, version: current.version + 1 },
  result: undefined,
});

function settlerOn(network: InMemoryNetwork, id: string, proposer: Proposer) {
  const rewrites: string[] = [];
  const settler = new TombstoneSettler({
    store: network.store(id),
    acceptors: network.clientsFor(id),
    rewrite: (key, deadlineMs) => (rewrites.push(key), proposer.change(key, IDENTITY, deadlineMs)),
    callTimeoutMs: 100,
    batchSize: 10,
  });
  return { settler, rewrites };
}

const unsettled = async (network: InMemoryNetwork, id: string) =>
  (await network.store(id).unsettledTombstones(null, 100)).map((row) => row.key);

describe('TombstoneSettler', () => {
  it('settles a tombstone a majority agrees on, and nothing else', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('kept', put(1), deadline()));
    await run(proposer.change('gone', put(1), deadline()));
    await run(proposer.change('gone', remove, deadline()));
    expect(await unsettled(network, 'n2')).toEqual(['gone']);

    const { settler, rewrites } = settlerOn(network, 'n2', proposer);
    expect(await run(settler.settleNextBatch(deadline()))).toEqual({
      examined: 1,
      settled: 1,
      rewritten: 0,
      wrapped: true,
    });
    expect(await unsettled(network, 'n2')).toEqual([]);
    expect(await unsettled(network, 'n1')).toEqual(['gone']); // each node settles its own rows
    expect(rewrites).toEqual([]);
  });

  it('rewrites a tombstone that stays unproven for two passes, after which it settles or is gone', async () => {
    const network = makeNetwork(3);
    const writer = makeProposer(network, 'n1');
    network.crash('n3');
    await run(writer.change('k', put('v'), deadline()));
    network.restart('n3');
    // A delete that reached n2 alone.
    const deleter = makeProposer(network, 'n2', {
      wrap: (client) =>
        client.nodeId === 'n2' ? client : { ...client, accept: () => Promise.reject(new Error('lost')) },
    });
    await run(deleter.change('k', remove, deadline(300)).catch(() => undefined));

    const { settler, rewrites } = settlerOn(network, 'n2', makeProposer(network, 'n2', { boot: 1 }));
    expect(await run(settler.settleNextBatch(deadline()))).toMatchObject({ settled: 0, rewritten: 0 });
    expect(await run(settler.settleNextBatch(deadline()))).toMatchObject({ settled: 0, rewritten: 1 });
    expect(rewrites).toEqual(['k']);
    // The rewrite chose one state for every acceptor: now a majority agrees, and the next pass settles.
    await run(settler.settleNextBatch(deadline()));
    expect(await unsettled(network, 'n2')).toEqual([]);
  });

  it('does not settle a row that accepted a newer state after the proof', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('k', put(1), deadline()));
    await run(proposer.change('k', remove, deadline()));
    const [tombstone] = await network.store('n1').peek(['k']);
    await run(proposer.change('k', put(2), deadline()));
    await run(proposer.change('k', remove, deadline()));

    await network.store('n1').settle([{ key: 'k', ballot: tombstone!.accepted }]); // a proof of the older tombstone
    expect(await unsettled(network, 'n1')).toEqual(['k']);
  });
});
