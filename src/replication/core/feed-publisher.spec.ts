import { FeedBatch, FeedLink } from './feed-batch';
import { FeedEvent } from './feed-position';
import { FeedPublisher } from './feed-publisher';
import { HybridClock } from './hybrid-clock';

const event = (stamp: number, key = `k${stamp}`): FeedEvent => ({ stamp, key, version: 1, present: true, value: 1 });

/** A link whose sends are answered by the test. */
function manualLink(nodeId: string) {
  const sent: FeedBatch[][] = [];
  const answers: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const link: FeedLink = {
    nodeId,
    send: (batches) =>
      new Promise<void>((resolve, reject) => {
        sent.push([...batches]);
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

function publisher(links: FeedLink[], keepBatches = 100) {
  let wall = 1000;
  let now = 0;
  const clock = new HybridClock(() => wall);
  const feed = new FeedPublisher({ nodeId: 'n1', epoch: 'e1', links, clock, keepBatches, now: () => now });
  return { feed, setWall: (value: number) => (wall = value), later: (ms: number) => (now += ms) };
}

describe('FeedPublisher', () => {
  it('keeps the closed stamp below every state in flight, and sends each event ahead of a closed stamp above it', () => {
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
    expect(n2.sent[0]).toEqual([
      { source: 'n1', epoch: 'e1', seq: 1, events: [event(second)], closed: 999, issued: 9000 },
    ]);
    feed.notChosen(first);
    expect(feed.closed()).toBe(9000);
  });

  it('sends every link the same numbered batches, one send at a time, again after a failure and a pause', async () => {
    const n2 = manualLink('n2');
    const n3 = manualLink('n3');
    const { feed, later } = publisher([n2.link, n3.link]);
    feed.chosen(event(feed.stamp(undefined)));
    feed.flush();
    feed.chosen(event(feed.stamp(undefined)));
    feed.flush(); // the first send is still out: the second batch waits
    expect(n2.sent).toHaveLength(1);
    await n2.answer(false);
    await n3.answer(true);
    feed.flush(); // n3 takes batches 2 and 3; n2 waits out its pause
    expect(n3.sent[1]!.map((b) => b.seq)).toEqual([2, 3]);
    expect(n2.sent).toHaveLength(1);
    later(50);
    feed.flush();
    expect(n2.sent[1]!.map((b) => b.seq)).toEqual([1, 2, 3, 4]);
    expect(n2.sent[1]![1]).toEqual(n3.sent[1]![0]);
  });

  it('announces a gap for an outcome it gave up on', () => {
    const n2 = manualLink('n2');
    const { feed } = publisher([n2.link]);
    const unknown = feed.stamp(undefined);
    feed.unknown(unknown);
    feed.flush();
    expect(n2.sent[0]![0]).toMatchObject({ gapFrom: unknown });
  });

  it('lets a link that fell too far behind skip to the oldest batch it keeps', async () => {
    const n2 = manualLink('n2');
    const { feed, later } = publisher([n2.link], 3);
    feed.flush();
    await n2.answer(false);
    for (let i = 0; i < 5; i++) feed.flush();
    later(50);
    feed.flush();
    expect(n2.sent[1]!.map((b) => b.seq)).toEqual([5, 6, 7]);
  });
});
