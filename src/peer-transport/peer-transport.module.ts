import { Module } from '@nestjs/common';
import { PeerChannels } from './peer-channels';

/**
 * How nodes reach each other: the peer channel (one upgraded connection per
 * pair of nodes carrying JSON frames), its endpoint on this node's HTTP
 * server, the failure classes callers decide on, and the cluster secret.
 * It knows nothing of what travels on it: the replication and storage
 * modules register the methods they serve and make the calls.
 */
@Module({
  providers: [PeerChannels],
  exports: [PeerChannels],
})
export class PeerTransportModule {}
