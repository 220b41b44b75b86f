import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  DEFAULT_MANIFEST, MAX_SYNC_PEERS, MAX_SYNC_REQUEST_BYTES, decodeSyncRequest, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse,
  genesisState, parseManifest, proposeVersion, signVersion, syncProtocol
} from '../../../src/protocol/index.ts'
import { validationCodeOf } from './fixtures.ts'

const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(1))
const id = peerIdFromPrivateKey(key).toString()
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

const code = validationCodeOf

describe('sync wire', () => {
  it('names its protocol under the network id', () => {
    assert.equal(syncProtocol('ab'.repeat(16)), `/meshtrain/${'ab'.repeat(16)}/sync/1.0.0`)
  })

  it('a request is {"after": N}, nothing else', () => {
    assert.equal(decodeSyncRequest(encodeSyncRequest(7)), 7)
    assert.equal(code(() => decodeSyncRequest(bytes({ after: -1 }))), 'malformed')
    assert.equal(code(() => decodeSyncRequest(bytes({ after: 1, more: 2 }))), 'malformed')
    assert.equal(code(() => decodeSyncRequest(new Uint8Array(MAX_SYNC_REQUEST_BYTES + 1))), 'too-large')
    assert.equal(code(() => decodeSyncRequest(Uint8Array.of(0xff))), 'malformed')
  })

  it('an answer round-trips peers and versions, and each bad part is refused', async () => {
    const genesis = parseManifest({ ...DEFAULT_MANIFEST, members: [id], admins: [id] })
    const version = await signVersion(proposeVersion(genesisState(genesis), { threshold: 1 }, 0), key)
    const answer = { peers: [{ id, addrs: ['/ip4/127.0.0.1/tcp/7171'] }], versions: [version] }
    assert.deepEqual(decodeSyncResponse(encodeSyncResponse(answer)), answer)
    assert.equal(code(() => decodeSyncResponse(bytes({ peers: [{ id: 'nobody', addrs: [] }], versions: [] }))), 'malformed')
    assert.equal(code(() => decodeSyncResponse(bytes({ peers: [{ id, addrs: ['not an address'] }], versions: [] }))), 'malformed')
    assert.equal(code(() => decodeSyncResponse(bytes({ peers: [], versions: [{ ...version, extra: 1 }] }))), 'malformed')
    assert.equal(code(() => decodeSyncResponse(bytes({ peers: Array(MAX_SYNC_PEERS + 1).fill({ id, addrs: [] }), versions: [] }))), 'too-large')
    assert.equal(code(() => decodeSyncResponse(bytes({ peers: [] }))), 'malformed')
  })
})
