import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { describeKnownError } from '../common/error-body';
import { depthExceeds, MAX_JSON_DEPTH } from '../common/json-depth';
import { AppConfig, peerBodyLimit } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PeerConfig } from '../config/peers';
import { CLUSTER_AUTH_SCHEME, clusterSecretCheck } from './cluster-secret.guard';
import { PeerChannel } from './peer-channel';
import { ChannelHandler, PeerChannelEndpoint } from './peer-channel-endpoint';
import { CHANNEL_PATH_SUFFIX } from './peer-channel-frames';
import { PEER_API_PREFIX } from './peer-api-prefix';

/** How long a stopping node keeps answering its peers' requests already in progress. */
const DRAIN_MS = 5_000;

/**
 * The peer channel in the application: the endpoint on this node's HTTP
 * server, where the peer API's controllers register the methods they serve,
 * and one client channel per peer for the calls this node makes.
 */
@Injectable()
export class PeerChannels implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('PeerChannels');
  private readonly endpoint: PeerChannelEndpoint;
  private readonly clients = new Map<string, PeerChannel>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.endpoint = new PeerChannelEndpoint({
      path: `/${PEER_API_PREFIX}/${CHANNEL_PATH_SUFFIX}`,
      authorized: clusterSecretCheck(config.clusterSecret),
      maxFrameChars: peerBodyLimit(config),
      rejectBody: (body) =>
        depthExceeds(body, MAX_JSON_DEPTH) ? `JSON nests deeper than ${MAX_JSON_DEPTH} levels` : undefined,
      describeError: (error) => {
        const known = describeKnownError(error);
        if (known) return known;
        this.logger.error(
          `peer request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return { statusCode: 500, message: 'internal error' };
      },
    });
  }

  /** Serves `method` (a peer API path such as `accept`) on the channel with the handler its HTTP route runs. */
  handle(method: string, handler: ChannelHandler): void {
    this.endpoint.handle(method, handler);
  }

  /** The channel to `peer`, opened on first use. */
  to(peer: PeerConfig): PeerChannel {
    let channel = this.clients.get(peer.id);
    if (!channel) {
      channel = new PeerChannel({
        url: peer.url,
        apiPrefix: PEER_API_PREFIX,
        authorization: `${CLUSTER_AUTH_SCHEME} ${this.config.clusterSecret ?? ''}`,
        maxFrameChars: peerBodyLimit(this.config),
      });
      this.clients.set(peer.id, channel);
    }
    return channel;
  }

  onApplicationBootstrap(): void {
    this.endpoint.listen(this.adapterHost.httpAdapter.getHttpServer() as Server);
  }

  /** Peers' new requests are turned away unread from here on (they run them elsewhere). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.endpoint.close(DRAIN_MS);
  }

  /** After this node's own requests have drained: they may still have needed the peers. */
  onApplicationShutdown(): void {
    for (const channel of this.clients.values()) channel.close();
  }
}
