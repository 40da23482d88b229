import { FeedBatch } from './feed-batch';
import { FeedLearner } from './feed-learner';
import { FeedEvent, FeedPosition, encodeFeedPosition } from './feed-position';
import { FeedWatchers, WatchMessage } from './feed-watchers';
import { MemoryFeedStore } from './testing/memory-feed-store';

const event = (stamp: number, key: string, version = 1): FeedEvent => ({
  stamp,
  key,
  version,
  present: true,
  value: `${key}@${version}`,
});

/** One node's learner and watchers, fed by one source, n1. */
async function node(store = new MemoryFeedStore()) {
  const learner = new FeedLearner({ sources: ['n1'], store });
  await learner.start();
  const watchers = new FeedWatchers({ learner, store, pageSize: 2 });
  let seq = 0;
  const publish = async (closed: number, events: FeedEvent[] = [], extra: Partial<FeedBatch> = {}) => {
    learner.receive({ source: 'n1', epoch: 'e1', seq: ++seq, events, closed, issued: closed, ...extra });
    await learner.advance();
  };
  return { learner, watchers, store, publish };
}

function collect() {
  const messages: WatchMessage[] = [];
  const sink = (message: WatchMessage) => {
    messages.push(message);
    return true;
  };
  const seen = () => messages.map((m) => (m.kind === 'event' ? m.event.key : `resync@${m.position.stamp}`));
  return { messages, sink, seen };
}

describe('FeedWatchers', () => {
  it('sends a live watcher the events under its prefix, in feed order, from the frontier on', async () => {
    const n = await node();
    await n.publish(10, [event(5, 'a/old')]);
    const live = collect();
    const other = collect();
    await n.watchers.watch('a/', undefined, live.sink, () => undefined);
    await n.watchers.watch('b/', undefined, other.sink, () => undefined);
    await n.publish(30, [event(25, 'a/y'), event(20, 'b/x'), event(20, 'a/x'), event(28, 'ab')]);
    expect(live.seen()).toEqual(['a/x', 'a/y']);
    expect(other.seen()).toEqual(['b/x']);
    expect(n.watchers.count).toBe(2);
  });

  it('resumes after an id from the stored feed, page by page, then goes live without losing or repeating', async () => {
    const n = await node();
    await n.publish(10);
    const first = collect();
    const watch = await n.watchers.watch('', undefined, first.sink, () => undefined);
    await n.publish(20, [event(11, 'a'), event(12, 'b'), event(13, 'c'), event(14, 'd'), event(15, 'e')]);
    const resumeAt: FeedPosition = { stamp: 12, key: 'b' };
    watch.stop();
    await n.publish(30, [event(25, 'f')]);

    const resumed = collect();
    const resuming = n.watchers.watch('', resumeAt, resumed.sink, () => undefined);
    // A flush while it reads the store: it must come after what the store gives, once.
    await n.publish(40, [event(35, 'g')]);
    await resuming;
    await n.publish(50, [event(45, 'h')]);
    expect(resumed.seen()).toEqual(['c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('sends resync where the feed has a gap, to live and resumed watchers alike', async () => {
    const n = await node();
    await n.publish(10); // the start gap, at 10
    const live = collect();
    await n.watchers.watch('', undefined, live.sink, () => undefined);
    await n.publish(20, [event(15, 'a')]);
    await n.publish(30, [event(5, 'late')]); // a late event: stored with a gap at 30, not sent live
    await n.publish(40, [event(35, 'b')]);
    expect(live.seen()).toEqual(['a', 'resync@30', 'b']);

    const resumed = collect();
    await n.watchers.watch('', { stamp: 10 }, resumed.sink, () => undefined);
    expect(resumed.seen()).toEqual(['a', 'resync@30', 'b']);
    const fromStart = collect();
    await n.watchers.watch('', { stamp: 0 }, fromStart.sink, () => undefined);
    expect(fromStart.seen()).toEqual(['late', 'resync@10', 'a', 'resync@30', 'b']);
  });

  it('sends resync at once to a watcher resuming from before the retention horizon', async () => {
    const n = await node();
    await n.publish(10);
    await n.publish(20, [event(11, 'a'), event(12, 'b'), event(13, 'c')]);
    await n.store.trim(0, 1);
    const resumed = collect();
    await n.watchers.watch('', { stamp: 11, key: 'a' }, resumed.sink, () => undefined);
    await n.publish(30, [event(25, 'd')]);
    expect(resumed.seen()).toEqual(['resync@20', 'd']);
  });

  it('drops a watcher that cannot keep up, and reports where it had got to', async () => {
    const n = await node();
    await n.publish(10);
    let taken = 0;
    let dropped = false;
    const watch = await n.watchers.watch(
      '',
      undefined,
      () => ++taken < 2,
      () => (dropped = true),
    );
    await n.publish(20, [event(11, 'a'), event(12, 'b'), event(13, 'c')]);
    expect(taken).toBe(2);
    expect(dropped).toBe(true);
    expect(n.watchers.count).toBe(0);
    expect(encodeFeedPosition(watch.position())).toBe(encodeFeedPosition({ stamp: 11, key: 'a' }));
  });

  it('gives a live watcher the frontier as its position between events', async () => {
    const n = await node();
    await n.publish(10);
    const watch = await n.watchers.watch('x/', undefined, collect().sink, () => undefined);
    await n.publish(20, [event(15, 'y/1')]);
    expect(watch.position()).toEqual({ stamp: 20 });
  });
});
