import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
  ServiceUnavailableException,
} from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { FeedLearner } from '../core/feed-learner';
import { FeedPublisher } from '../core/feed-publisher';
import { FeedStore } from '../core/feed-store';
import { FeedWatchers } from '../core/feed-watchers';
import { parseFeedBatches, parseFeedRelayBody } from '../peer-api/peer-messages';
import { FeedRelay } from '../core/feed-relay';
import { BackgroundLoop } from '../maintenance/background-loop';
import { PeerChannels } from '../../peer-transport/peer-channels';

/** How often the learner moves its frontier (and watchers get what it released). */
const ADVANCE_EVERY_MS = 20;
/** How often proposers gone quiet are asked for through the peers. */
const RELAY_EVERY_MS = 200;
/** How often old events are deleted. */
const TRIM_EVERY_MS = 10_000;

/**
 * Runs this node's change feed for the life of the node: its publisher's
 * stream to every node, its learner's frontier, the relay of proposers it
 * cannot hear, retention; serves peers' batches (and relays its own copies)
 * on the peer channel. Stops before the database closes.
 */
@Injectable()
export class ChangeFeedService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private ready = false;
  private loops: BackgroundLoop[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly learner: FeedLearner,
    private readonly publisher: FeedPublisher,
    private readonly watchers: FeedWatchers,
    private readonly relay: FeedRelay,
    private readonly store: FeedStore,
    private readonly channels: PeerChannels,
  ) {}

  onModuleInit(): void {
    this.channels.handle('feed', (body) => {
      // Until the learner has read its bound it cannot place what arrives: the publisher sends it again.
      if (!this.ready) throw new ServiceUnavailableException('the change feed is starting');
      for (const batch of parseFeedBatches(body)) this.learner.receive(batch);
      return Promise.resolve({});
    });
    this.channels.handle('feed-relay', (body) => {
      if (!this.ready) throw new ServiceUnavailableException('the change feed is starting');
      const { source, epoch, afterSeq } = parseFeedRelayBody(body);
      if (!this.learner.sourceIds.includes(source)) return Promise.resolve({ batches: [] });
      return Promise.resolve({ batches: this.learner.batchesAfter(source, epoch, afterSeq) });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.learner.start();
    this.ready = true;
    this.publisher.start();
    this.loops = [
      this.every(ADVANCE_EVERY_MS, () => this.learner.advance(), 'storing the change feed'),
      this.every(RELAY_EVERY_MS, () => this.relay.pass(), 'relaying the change feed'),
      this.every(TRIM_EVERY_MS, () => this.trim(), 'trimming the change feed'),
    ];
    this.loops.forEach((loop) => loop.start());
  }

  /** Before the database pool closes: nothing here may use it afterwards. */
  async beforeApplicationShutdown(): Promise<void> {
    this.publisher.stop();
    this.watchers.close();
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }

  private async trim(): Promise<void> {
    const olderThan = (Date.now() - this.config.watchRetentionSeconds * 1000) * 1000;
    await this.store.trim(olderThan, this.config.watchRetentionEvents);
  }

  private every(ms: number, run: () => Promise<void>, what: string): BackgroundLoop {
    return new BackgroundLoop(
      what,
      this.logger,
      async () => {
        await run();
        return ms;
      },
      ms,
    );
  }
}
