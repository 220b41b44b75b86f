import type { PeerId, PrivateKey } from '@libp2p/interface'
import { payloadHash, signAnnouncement } from '../../src/protocol/index.ts'
import type { UpdateAnnouncement } from '../../src/protocol/index.ts'

/** The network id of the e2e tests that build libp2p nodes without a manifest. */
export const TEST_NETWORK_ID = '0123456789abcdef0123456789abcdef'

/** An announcement `member` signs for `payload` in `round`, advertising `bulkPort` when given. */
export async function testAnnouncement (
  member: { readonly node: { readonly peerId: PeerId }, readonly privateKey: PrivateKey }, payload: Uint8Array, options: { round?: number, bulkPort?: number | undefined } = {}
): Promise<UpdateAnnouncement> {
  return await signAnnouncement({
    networkId: TEST_NETWORK_ID,
    peerId: member.node.peerId.toString(),
    round: options.round ?? 1,
    modelHash: payloadHash(payload),
    byteLength: payload.byteLength,
    encoding: 'f32le',
    sampleCount: 100,
    loss: 0.5,
    datasetFingerprint: 'test',
    ledgerHead: '',
    ...(options.bulkPort === undefined ? {} : { bulkPort: options.bulkPort })
  }, member.privateKey)
}
