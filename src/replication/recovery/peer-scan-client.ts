import { HttpService } from '@nestjs/axios';
import { PeerConfig } from '../../config/peers';
import { CLUSTER_AUTH_SCHEME } from '../../peer-transport/cluster-secret.guard';
import { PEER_API_PREFIX } from '../../peer-transport/peer-api-prefix';
import { ScannedRegister } from './register-scanner';

export interface ScanPage {
  readonly rows: ScannedRegister[];
  /** Whether the peer votes; a peer that is itself catching up is a source only while it holds nothing. */
  readonly voting: boolean;
}

/** Pages through a peer's registers for a catch-up. */
export class PeerScanClient {
  constructor(
    readonly peer: PeerConfig,
    private readonly clusterSecret: string,
    private readonly http: HttpService,
  ) {}

  async scan(afterKey: string | null, limit: number, timeoutMs: number): Promise<ScanPage> {
    const response = await this.http.axiosRef.post<ScanPage>(
      `${this.peer.url}/${PEER_API_PREFIX}/scan`,
      { after: afterKey, limit },
      {
        headers: { authorization: `${CLUSTER_AUTH_SCHEME} ${this.clusterSecret}` },
        timeout: timeoutMs,
        maxContentLength: Infinity,
      },
    );
    if (!Array.isArray(response.data?.rows) || typeof response.data.voting !== 'boolean') {
      throw new Error(`peer ${this.peer.id}: malformed scan page`);
    }
    // A peer on the release before lineages sends states without one: copied as "not known".
    const rows = response.data.rows.map((row) =>
      Array.isArray(row.state?.lineage) ? row : { ...row, state: { ...row.state, lineage: [] } },
    );
    return { rows, voting: response.data.voting };
  }
}
