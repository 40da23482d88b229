import { FeedBatch, FeedLink } from './feed-batch';
import { FeedEvent } from './feed-position';
import { FeedPublisher } from './feed-publisher';
import { HybridClock } from './hybrid-clock';

const event = (stamp: number, key = `k${stamp}`): FeedEvent => ({ stamp, key, version: 1, present: true, value: 1 });

/** A link whose sends are answered by the test. */
function manualLink(nodeId: string) {
  const sent: FeedBatch[] = [];
  const answers: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const link: FeedLink = {
    nodeId,
    send: (batch) =>
      new Promise<void>((resolve, reject) => {
        sent.push(batch);
        answers.push({ resolve, reject });
      }),
  };
  const answer = async (ok: boolean) => {
    const next = answers.shift()!;
    if (ok) next.resolve();
    else next.reject(new Error('lost'));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { link, sent, answer };
}

function publisher(links: FeedLink[], maxQueuedEvents = 100) {
  let wall = 1000;
  let now = 0;
  const clock = new HybridClock(() => wall);
  const feed = new FeedPublisher({ nodeId: 'n1', epoch: 'e1', links, clock, maxQueuedEvents, now: () => now });
  return { feed, setWall: (value: number) => (wall = value), later: (ms: number) => (now += ms) };
}

describe('FeedPublisher', () => {
  it('keeps the closed stamp below every state in flight, and sends each event ahead of a closed stamp above it', async () => {
    const n2 = manualLink('n2');
    const { feed, setWall } = publisher([n2.link]);
    const first = feed.stamp(undefined);
    const second = feed.stamp(5000); // built on a base stamped 5000
    expect([first, second]).toEqual([1000, 5001]);
    setWall(9000);
    expect(feed.closed()).toBe(999);
    feed.chosen(event(second));
    expect(feed.closed()).toBe(999);
    feed.flush();
    expect(n2.sent[0]).toMatchObject({ source: 'n1', epoch: 'e1', seq: 1, events: [event(second)], closed: 999 });
    expect(n2.sent[0]!.issued).toBeGreaterThanOrEqual(second);
    feed.notChosen(first);
    expect(feed.closed()).toBe(9000);
  });

  it('sends one batch at a time per link, again unchanged after a failure, and numbers new ones in order', async () => {
    const n2 = manualLink('n2');
    const { feed, later } = publisher([n2.link]);
    feed.chosen(event(feed.stamp(undefined)));
    feed.flush();
    feed.chosen(event(feed.stamp(undefined)));
    feed.flush(); // still in flight: nothing new goes
    expect(n2.sent).toHaveLength(1);
    await n2.answer(false);
    feed.flush(); // too soon after a failure
    expect(n2.sent).toHaveLength(1);
    later(50);
    feed.flush();
    expect(n2.sent[1]).toEqual(n2.sent[0]);
    await n2.answer(true);
    feed.flush();
    expect(n2.sent[2]).toMatchObject({ seq: 2, events: [event(1001)] });
  });

  it('announces a gap for an outcome it gave up on, and for events it dropped when a link fell behind', async () => {
    const n2 = manualLink('n2');
    const { feed } = publisher([n2.link], 2);
    const unknown = feed.stamp(undefined);
    feed.unknown(unknown);
    feed.flush();
    expect(n2.sent[0]).toMatchObject({ gapFrom: unknown });
    for (let i = 0; i < 3; i++) feed.chosen(event(feed.stamp(undefined)));
    await n2.answer(true);
    feed.flush();
    expect(n2.sent[1]).toMatchObject({ seq: 2, events: [], gapFrom: 1001 });
  });
});
