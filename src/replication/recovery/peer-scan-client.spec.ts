import { HttpService } from '@nestjs/axios';
import { encodeBallot } from '../core/ballot';
import { PeerScanClient } from './peer-scan-client';

const b = encodeBallot({ counter: 3, boot: 1, nodeId: 'n2' });

/** An HttpService whose every POST answers `data`. */
function answering(data: unknown): HttpService {
  return { axiosRef: { post: async () => ({ data }) } } as unknown as HttpService;
}

describe('PeerScanClient', () => {
  const peer = { id: 'n2', url: 'http://n2' };

  it('copies lineages as the peer holds them, and reads a missing one (a peer on the release before lineages) as "not known"', async () => {
    const row = (key: string, lineage?: string[]) => ({
      key,
      promised: b,
      accepted: b,
      state: { present: true, value: key, version: 1, ...(lineage && { lineage }) },
    });
    const client = new PeerScanClient(peer, 'secret', answering({ rows: [row('a', [b, '']), row('b')], voting: true }));
    const page = await client.scan(null, 10, 100);
    expect(page.rows.map((r) => r.state.lineage)).toEqual([[b, ''], []]);
    expect(page.voting).toBe(true);
  });

  it('refuses a malformed page', async () => {
    await expect(new PeerScanClient(peer, 'secret', answering({ rows: 'none' })).scan(null, 10, 100)).rejects.toThrow(
      /malformed/,
    );
  });
});
