import { HttpModule, HttpService } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PersistenceModule } from './persistence/persistence.module';
import { AcceptorStore } from './core/acceptor-store';
import { BallotClock } from './core/ballot';
import { BATCH_LINGER_MS } from '../common/call-coalescer';
import { CoalescingAcceptorStore } from './core/coalescing-acceptor-store';
import { LocalAcceptorClient } from './core/local-acceptor-client';
import { NodeMeta } from './core/node-meta';
import { IDENTITY } from './core/change';
import { KeyChangeSignals, SignallingAcceptorStore } from './core/key-change-signals';
import { KeyLister } from './core/key-lister';
import { Proposer } from './core/proposer';
import { TombstoneSettler } from './core/tombstone-settler';
import { TombstoneSettlerService } from './maintenance/tombstone-settler.service';
import { Expirer, expireIfDue } from './core/expirer';
import { ExpirerService } from './maintenance/expirer.service';
import { AcceptorClient } from './core/transport';
import { PeerAcceptorClient } from './peer-api/peer-acceptor-client';
import { PeerChannels } from '../peer-transport/peer-channels';
import { PeerTransportModule } from '../peer-transport/peer-transport.module';
import { PeerController } from './peer-api/peer.controller';
import { PEER_AGENT_IDLE_MS } from '../peer-transport/stale-connection';
import { AcceptorGate } from './recovery/acceptor-gate';
import { CatchUpService, PEER_SCANNERS } from './recovery/catch-up.service';
import { GatedAcceptorStore } from './recovery/gated-acceptor-store';
import { PeerScanClient } from './recovery/peer-scan-client';
import { Registers } from './registers';
import { KeyRouter } from './routing/key-router';
import { PeerHealthMonitor } from './routing/peer-health.monitor';
import { Departure } from './routing/departure';
import { ReplicationService } from './replication.service';
import { ACCEPTORS, VOTING_ACCEPTOR } from './tokens';
import { randomUUID } from 'node:crypto';
import { FeedLearner } from './core/feed-learner';
import { FeedPublisher } from './core/feed-publisher';
import { FeedStore } from './core/feed-store';
import { FeedWatchers } from './core/feed-watchers';
import { HybridClock } from './core/hybrid-clock';
import { ChangeFeedService } from './feed/change-feed.service';
import { PeerFeedLink } from './feed/peer-feed-link';
import { PeerFeedRelayClient } from './feed/peer-feed-relay-client';
import { FeedRelay } from './core/feed-relay';
import { ObservedAcceptorClient } from './core/observed-acceptor-client';
import { ObservedAcceptorStore } from './core/observed-acceptor-store';
import { ReplicationObserver, UNOBSERVED } from './core/replication-observer';

/** The global MetricsModule provides the observer; an app built without it runs unobserved. */
const OBSERVER = { token: ReplicationObserver, optional: true };

@Module({
  imports: [
    PersistenceModule,
    PeerTransportModule,
    HttpModule.register({
      // Health probes and catch-up scans (the calls of every write go through PeerChannels).
      // Keep-alive: a new TCP connection per probe would cost more than the probe itself.
      // Idle pooled connections are closed by us before the peer's keep-alive timeout closes them.
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64, timeout: PEER_AGENT_IDLE_MS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64, timeout: PEER_AGENT_IDLE_MS }),
      // Peers are addressed directly: no proxy lookup from the environment and
      // no redirect-following wrapper on every request (both show in profiles).
      proxy: false,
      maxRedirects: 0,
    }),
  ],
  controllers: [PeerController],
  providers: [
    AcceptorGate,
    { provide: KeyChangeSignals, useFactory: () => new KeyChangeSignals() },
    {
      provide: VOTING_ACCEPTOR,
      inject: [AcceptorStore, AcceptorGate, KeyChangeSignals, OBSERVER],
      // Requests from this node's proposer and from every peer share statements.
      // Every accept stored is a hint for long polls on its key.
      useFactory: (
        store: AcceptorStore,
        gate: AcceptorGate,
        signals: KeyChangeSignals,
        observer: ReplicationObserver | undefined,
      ) =>
        new SignallingAcceptorStore(
          new GatedAcceptorStore(
            new CoalescingAcceptorStore(new ObservedAcceptorStore(store, observer ?? UNOBSERVED), {
              lingerMs: BATCH_LINGER_MS,
            }),
            gate,
          ),
          signals,
        ),
    },
    {
      provide: BallotClock,
      inject: [APP_CONFIG, NodeMeta],
      useFactory: async (config: AppConfig, meta: NodeMeta) => new BallotClock(config.nodeId, await meta.nextBoot()),
    },
    {
      provide: ACCEPTORS,
      inject: [APP_CONFIG, VOTING_ACCEPTOR, PeerChannels, OBSERVER],
      useFactory: (
        config: AppConfig,
        store: AcceptorStore,
        channels: PeerChannels,
        observer: ReplicationObserver | undefined,
      ): AcceptorClient[] => [
        new LocalAcceptorClient(config.nodeId, store),
        ...config.peers.map(
          (peer) =>
            new ObservedAcceptorClient(new PeerAcceptorClient(peer.id, channels.to(peer)), observer ?? UNOBSERVED),
        ),
      ],
    },
    {
      provide: PEER_SCANNERS,
      inject: [APP_CONFIG, HttpService],
      useFactory: (config: AppConfig, http: HttpService) =>
        config.peers.map((peer) => new PeerScanClient(peer, config.clusterSecret!, http)),
    },
    CatchUpService,
    PeerHealthMonitor,
    Departure,
    KeyRouter,
    {
      provide: Proposer,
      inject: [APP_CONFIG, BallotClock, ACCEPTORS, FeedPublisher, KeyChangeSignals, OBSERVER],
      useFactory: (
        config: AppConfig,
        clock: BallotClock,
        acceptors: AcceptorClient[],
        feed: FeedPublisher,
        signals: KeyChangeSignals,
        observer: ReplicationObserver | undefined,
      ) =>
        new Proposer({
          clock,
          acceptors,
          feed,
          callTimeoutMs: Math.min(1000, config.requestTimeoutMs),
          batching: { lingerMs: BATCH_LINGER_MS },
          onChosen: (key, state) => signals.notify(key, state.version),
          observer,
        }),
    },
    {
      provide: KeyLister,
      inject: [APP_CONFIG, ACCEPTORS, Proposer],
      useFactory: (config: AppConfig, acceptors: AcceptorClient[], proposer: Proposer) =>
        new KeyLister({
          acceptors,
          read: (key, deadlineMs) => proposer.read(key, deadlineMs),
          callTimeoutMs: Math.min(1000, config.requestTimeoutMs),
        }),
    },
    {
      provide: TombstoneSettler,
      inject: [APP_CONFIG, AcceptorStore, ACCEPTORS, Proposer],
      useFactory: (config: AppConfig, store: AcceptorStore, acceptors: AcceptorClient[], proposer: Proposer) =>
        new TombstoneSettler({
          store,
          acceptors,
          rewrite: (key, deadlineMs) => proposer.change(key, IDENTITY, deadlineMs),
          callTimeoutMs: Math.min(1000, config.requestTimeoutMs),
        }),
    },
    TombstoneSettlerService,
    { provide: HybridClock, useFactory: () => new HybridClock() },
    {
      provide: FeedLearner,
      inject: [APP_CONFIG, FeedStore],
      useFactory: (config: AppConfig, store: FeedStore) =>
        new FeedLearner({ sources: [config.nodeId, ...config.peers.map((peer) => peer.id)], store }),
    },
    {
      provide: FeedPublisher,
      inject: [APP_CONFIG, HybridClock, FeedLearner, PeerChannels],
      useFactory: (config: AppConfig, clock: HybridClock, learner: FeedLearner, channels: PeerChannels) =>
        new FeedPublisher({
          nodeId: config.nodeId,
          epoch: randomUUID(),
          clock,
          links: [
            { nodeId: config.nodeId, send: (batches) => Promise.resolve(batches.forEach((b) => learner.receive(b))) },
            ...config.peers.map((peer) => new PeerFeedLink(peer.id, channels.to(peer))),
          ],
          sendTimeoutMs: Math.min(1000, config.requestTimeoutMs),
        }),
    },
    {
      provide: FeedWatchers,
      inject: [FeedLearner, FeedStore],
      useFactory: (learner: FeedLearner, store: FeedStore) => new FeedWatchers({ learner, store }),
    },
    {
      provide: FeedRelay,
      inject: [APP_CONFIG, FeedLearner, PeerChannels],
      useFactory: (config: AppConfig, learner: FeedLearner, channels: PeerChannels) =>
        new FeedRelay({
          nodeId: config.nodeId,
          learner,
          peers: config.peers.map((peer) => new PeerFeedRelayClient(peer.id, channels.to(peer))),
        }),
    },
    ChangeFeedService,
    {
      provide: Expirer,
      inject: [APP_CONFIG, AcceptorStore, Proposer, KeyRouter],
      useFactory: (config: AppConfig, store: AcceptorStore, proposer: Proposer, router: KeyRouter) =>
        new Expirer({
          store,
          prefers: (key) => router.preferredNode(key) === config.nodeId,
          expire: (key, expiresAt, deadlineMs) => proposer.change(key, expireIfDue(expiresAt), deadlineMs),
        }),
    },
    ExpirerService,
    { provide: Registers, useClass: ReplicationService },
  ],
  exports: [
    Registers,
    ACCEPTORS,
    AcceptorGate,
    KeyRouter,
    PeerHealthMonitor,
    CatchUpService,
    Departure,
    HttpModule,
    FeedWatchers,
    KeyChangeSignals,
  ],
})
export class ReplicationModule {}
