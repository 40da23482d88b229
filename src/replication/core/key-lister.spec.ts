import { IDENTITY } from './change';
import { KeyLister } from './key-lister';
import { KeyRange } from './key-range';
import { Proposer } from './proposer';
import { RegisterContent } from './register';
import { InMemoryNetwork } from './testing/in-memory-network';
import { fakeTimeRunner, makeNetwork, makeProposer, protocolFakeTimers, put } from './testing/test-support';
import { TombstoneSettler } from './tombstone-settler';
import { AcceptorClient } from './transport';

const LONG = 10_000;
const deadline = (ms = LONG): number => Date.now() + ms;
const everything: KeyRange = { from: '', fromInclusive: true };

const { run } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

const remove = (current: RegisterContent) => ({
  state: { present: false, value: undefined, version: current.version + 1 },
  result: undefined,
});

/** A lister on node `from`, whose reads go to that node's proposer and are counted. */
function listerOn(
  network: InMemoryNetwork,
  from: string,
  proposer: Proposer,
  wrap: (client: AcceptorClient) => AcceptorClient = (client) => client,
) {
  const reads: string[] = [];
  const lister = new KeyLister({
    acceptors: network.clientsFor(from).map(wrap),
    read: (key, deadlineMs) => (reads.push(key), proposer.read(key, deadlineMs)),
    callTimeoutMs: 100,
  });
  return { lister, reads };
}

async function settleAll(network: InMemoryNetwork, proposer: Proposer): Promise<void> {
  for (const id of network.nodeIds) {
    const settler = new TombstoneSettler({
      store: network.store(id),
      acceptors: network.clientsFor(id),
      rewrite: (key, deadlineMs) => proposer.change(key, IDENTITY, deadlineMs),
      callTimeoutMs: 100,
    });
    await run(settler.settleNextBatch(deadline()));
  }
}

describe('KeyLister', () => {
  it('lists present keys in byte order, and when the replicas agree it reads nothing more', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    for (const key of ['b', '\uFF21', 'a', '\u{1F600}', 'gone']) await run(proposer.change(key, put(key), deadline()));
    await run(proposer.change('gone', remove, deadline()));
    await settleAll(network, proposer);

    const { lister, reads } = listerOn(network, 'n2', makeProposer(network, 'n2'));
    const page = await run(lister.list(everything, 10, deadline()));

    expect(page.entries.map((e) => e.key)).toEqual(['a', 'b', '\uFF21', '\u{1F600}']);
    expect(page.entries[0]!.state).toMatchObject({ present: true, value: 'a', version: 1 });
    expect(page.next).toBeNull();
    expect(reads).toEqual([]);
  });

  it('pages through a range: every key once, in order, each page ending where the next begins', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    const keys = Array.from({ length: 9 }, (_, i) => `app/${i}`);
    for (const key of [...keys, 'apq', 'ap']) await run(proposer.change(key, put(1), deadline()));
    const { lister } = listerOn(network, 'n1', proposer);

    const seen: string[] = [];
    let range: KeyRange = { from: 'app/', fromInclusive: true, prefix: 'app/' };
    for (let pages = 0; pages < 10; pages++) {
      const page = await run(lister.list(range, 4, deadline()));
      seen.push(...page.entries.map((e) => e.key));
      if (page.next === null) break;
      range = { ...range, from: page.next, fromInclusive: false };
    }
    expect(seen).toEqual(keys);
  });

  it('reads a key the replicas disagree on, as a GET would', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('k', put('old'), deadline()));
    network.crash('n3');
    await run(proposer.change('k', put('new'), deadline())); // n3 keeps the old value
    network.restart('n3');
    network.crash('n1');

    const { lister, reads } = listerOn(network, 'n3', makeProposer(network, 'n3'));
    const page = await run(lister.list(everything, 10, deadline()));

    expect(page.entries.map((e) => [e.key, e.state.value])).toEqual([['k', 'new']]);
    expect(reads).toEqual(['k']);
  });

  /**
   * n1 and n2 hold 'k' (chosen); a delete reached only n2 and its proposer
   * died. With n1 down, n2 and n3 answer: neither holds 'k' present. n2's
   * tombstone is not settled, so it is listed, and the key is read: that read
   * completes the delete, so 'k' is absent for good and the listing is right.
   * Sabotage: acceptors that hide every tombstone (as if all were settled)
   * make the listing answer "absent" while the delete is not chosen; n2 then
   * goes down, n1 comes back, and a read finds 'k' present again, a state
   * the listing already declared gone with no write in between.
   */
  it.each([
    ['an honest lister lists the tombstone, reads the key, and stays consistent', false],
    ['a lister that skips unsettled tombstones answers absent, then the key is back', true],
  ])('%s', async (_label, sabotage) => {
    const network = makeNetwork(3);
    const writer = makeProposer(network, 'n1');
    network.crash('n3');
    await run(writer.change('k', put('v'), deadline()));
    network.restart('n3');
    const deleter = makeProposer(network, 'n2', {
      wrap: (client) =>
        client.nodeId === 'n2' ? client : { ...client, accept: () => Promise.reject(new Error('lost')) },
    });
    await run(deleter.change('k', remove, deadline(300)).catch(() => undefined)); // accepted by n2 alone
    expect(network.memoryStore('n2').inspect('k').state.present).toBe(false);

    network.crash('n1');
    const hideTombstones = (client: AcceptorClient): AcceptorClient => ({
      ...client,
      list: async (range, limit, timeoutMs) =>
        (await client.list(range, limit, timeoutMs)).filter((reply) => reply.state.present),
    });
    const { lister } = listerOn(network, 'n3', makeProposer(network, 'n3'), sabotage ? hideTombstones : undefined);
    const page = await run(lister.list(everything, 10, deadline()));
    expect(page.entries).toEqual([]);

    network.restart('n1');
    network.crash('n2');
    const later = await run(makeProposer(network, 'n1', { boot: 1 }).read('k', deadline()));
    expect(later.present).toBe(sabotage);
  });
});
