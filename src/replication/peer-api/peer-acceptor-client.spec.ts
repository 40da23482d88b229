import { encodeBallot } from '../core/ballot';
import { PeerAcceptorClient } from './peer-acceptor-client';
import { PeerChannel } from '../../peer-transport/peer-channel';

const b = encodeBallot({ counter: 3, boot: 1, nodeId: 'n2' });

/** A channel that answers every call with `replies`. */
function answering(replies: unknown[]): PeerChannel {
  return { call: async () => ({ replies }) } as unknown as PeerChannel;
}

describe('PeerAcceptorClient', () => {
  it('passes lineages through as the peer sent them', async () => {
    const state = { present: true, value: 1, version: 1, lineage: [b, ''] };
    const client = new PeerAcceptorClient('n2', answering([{ key: 'k', accepted: b, state }]));
    expect(await client.peek(['k'], 100)).toEqual([{ key: 'k', accepted: b, state }]);
  });

  it('reads a state without a lineage (a peer on the release before lineages) as "not known"', async () => {
    const old = { present: true, value: 1, version: 1 };
    const prepare = new PeerAcceptorClient(
      'n2',
      answering([
        { key: 'k', ok: true, accepted: b, state: old },
        { key: 'j', ok: false, seen: b },
      ]),
    );
    expect(
      await prepare.prepare(
        [
          { key: 'k', ballot: b },
          { key: 'j', ballot: b },
        ],
        100,
      ),
    ).toEqual([
      { key: 'k', ok: true, accepted: b, state: { ...old, lineage: [] } },
      { key: 'j', ok: false, seen: b },
    ]);
    const peek = new PeerAcceptorClient('n2', answering([{ key: 'k', accepted: b, state: old }]));
    expect(await peek.peek(['k'], 100)).toEqual([{ key: 'k', accepted: b, state: { ...old, lineage: [] } }]);
  });
});
