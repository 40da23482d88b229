import { ChangeFn } from './change';
import { Expirer, expireIfDue } from './expirer';
import { Proposer } from './proposer';
import { ABSENT, RegisterContent, RegisterState } from './register';
import { InMemoryNetwork } from './testing/in-memory-network';
import { fakeTimeRunner, makeNetwork, makeProposer, protocolFakeTimers } from './testing/test-support';

const deadline = (ms = 10_000): number => Date.now() + ms;
const { run } = fakeTimeRunner((ms) => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => jest.useFakeTimers(protocolFakeTimers()));
afterEach(() => jest.useRealTimers());

/** A PUT with a TTL, as the storage layer builds it: the expiry is fixed when the proposer applies the write. */
function putFor(value: unknown, ttlMs: number): ChangeFn<RegisterContent> {
  return (current) => {
    const state = { present: true, value, version: current.version + 1, expiresAt: Date.now() + ttlMs };
    return { state, result: state };
  };
}

function expirerOn(network: InMemoryNetwork, id: string, proposer: Proposer, prefers: (key: string) => boolean) {
  const attempts: string[] = [];
  const expirer = new Expirer({
    store: network.store(id),
    prefers,
    expire: (key, expiresAt, deadlineMs) => {
      attempts.push(key);
      return proposer.change(key, expireIfDue(expiresAt), deadlineMs);
    },
  });
  return { expirer, attempts };
}

const present = (state: RegisterState) => ({ present: state.present, version: state.version, value: state.value });

describe('expireIfDue', () => {
  const lease: RegisterState = { present: true, value: 'v', version: 4, expiresAt: 1000, lineage: [] };

  it('writes a tombstone with a new version once the expiry it saw has come', () => {
    expect(expireIfDue(1000, () => 1000)(lease)).toEqual({
      state: { present: false, value: null, version: 5 },
      result: true,
    });
  });

  it.each([
    ['not yet due', lease, () => 999],
    ['renewed (another expiry)', { ...lease, version: 5, expiresAt: 2000 }, () => 5000],
    ['made permanent', { ...lease, version: 5, expiresAt: undefined }, () => 5000],
    ['already deleted', { ...ABSENT, version: 5 }, () => 5000],
  ])('leaves the state as it found it when the key is %s', (_label, state, now) => {
    expect(expireIfDue(1000, now)(state)).toEqual({ state, result: false });
  });
});

describe('Expirer', () => {
  it("expires a key on its preferred node once its time has come, as a quorum delete every node's acceptor sees", async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    const written = await run(proposer.change('lease', putFor('mine', 1000), deadline()));
    const { expirer } = expirerOn(network, 'n1', proposer, () => true);

    const early = await run(expirer.expireDue(deadline()));
    expect(early).toEqual({ examined: 0, expired: 0, nextPassInMs: 250 });
    await jest.advanceTimersByTimeAsync(1000 - 200);
    // Looking ahead: the next pass is due when the key is, not a full pause later.
    const soon = await run(expirer.expireDue(deadline()));
    expect(soon.expired).toBe(0);
    expect(soon.nextPassInMs).toBeLessThan(250);
    await jest.advanceTimersByTimeAsync(written.expiresAt! - Date.now());

    expect(await run(expirer.expireDue(deadline()))).toMatchObject({ examined: 1, expired: 1 });
    expect(present(await run(proposer.read('lease', deadline())))).toEqual({
      present: false,
      version: 2,
      value: null,
    });
    for (const id of ['n1', 'n2', 'n3']) expect(await network.store(id).expiredBy(Date.now() + 10_000, 10)).toEqual([]);
  });

  it('leaves a key to its preferred node until it is overdue, then any node expires it', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('lease', putFor('mine', 1000), deadline()));
    const { expirer, attempts } = expirerOn(network, 'n2', makeProposer(network, 'n2'), () => false);

    await jest.advanceTimersByTimeAsync(1000);
    const waiting = await run(expirer.expireDue(deadline()));
    expect(waiting).toMatchObject({ examined: 1, expired: 0 });
    expect(waiting.nextPassInMs).toBeGreaterThan(0);
    expect(attempts).toEqual([]);

    await jest.advanceTimersByTimeAsync(500);
    expect(await run(expirer.expireDue(deadline()))).toMatchObject({ expired: 1 });
    expect((await run(proposer.read('lease', deadline()))).present).toBe(false);
  });

  it('loses cleanly to a renewal chosen first: the key stays, with its new expiry', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('lease', putFor('mine', 1000), deadline()));
    // n3 missed the renewal, so its store still says the old expiry has come.
    network.crash('n3');
    await jest.advanceTimersByTimeAsync(900);
    const renewed = await run(proposer.change('lease', putFor('mine', 1000), deadline()));
    network.restart('n3');
    await jest.advanceTimersByTimeAsync(200);

    const { expirer, attempts } = expirerOn(network, 'n3', makeProposer(network, 'n3'), () => true);
    expect(await run(expirer.expireDue(deadline()))).toMatchObject({ examined: 1, expired: 0 });
    expect(attempts).toEqual(['lease']);
    expect(await run(proposer.read('lease', deadline()))).toMatchObject({
      present: true,
      version: 2,
      expiresAt: renewed.expiresAt,
    });
    // The expiry's round wrote the chosen state back to n3: its store no longer offers the old expiry.
    expect(await network.store('n3').expiredBy(Date.now(), 10)).toEqual([]);
  });

  it('a renewal after the expiry finds the key deleted: an If-Match renewal then fails like any write on an absent key', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('lease', putFor('mine', 1000), deadline()));
    await jest.advanceTimersByTimeAsync(1000);
    const { expirer } = expirerOn(network, 'n1', proposer, () => true);
    expect(await run(expirer.expireDue(deadline()))).toMatchObject({ expired: 1 });

    const renewIfStillVersion1: ChangeFn<boolean> = (current) =>
      current.present && current.version === 1
        ? { state: { ...current, version: 2, expiresAt: Date.now() + 1000 }, result: true }
        : { state: current, result: false };
    expect(await run(proposer.change('lease', renewIfStillVersion1, deadline()))).toBe(false);
    expect(present(await run(proposer.read('lease', deadline())))).toEqual({ present: false, version: 2, value: null });
  });

  it('expires nothing while no majority answers, and the key is deleted once one does', async () => {
    const network = makeNetwork(3);
    const proposer = makeProposer(network, 'n1');
    await run(proposer.change('lease', putFor('mine', 100), deadline()));
    await jest.advanceTimersByTimeAsync(100);
    network.crash('n2');
    network.crash('n3');
    const { expirer } = expirerOn(network, 'n1', proposer, () => true);
    const failed = await run(expirer.expireDue(deadline(500)));
    expect(failed).toMatchObject({ examined: 1, expired: 0 });
    expect(failed.nextPassInMs).toBeGreaterThan(0); // no busy loop while the quorum is away
    network.restart('n2');
    network.restart('n3');
    // The failed attempt may have left its tombstone on n1 alone (a one-round-trip accept), so n1
    // no longer offers the key; the other nodes still do, and act on it once it is overdue.
    await run(expirer.expireDue(deadline()));
    await jest.advanceTimersByTimeAsync(500);
    const { expirer: other } = expirerOn(network, 'n2', makeProposer(network, 'n2'), () => false);
    await run(other.expireDue(deadline()));
    expect((await run(proposer.read('lease', deadline()))).present).toBe(false);
  });
});
