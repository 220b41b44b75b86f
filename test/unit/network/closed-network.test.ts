import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { memberGater } from '../../../src/network/index.ts'
import { ConfigError } from '../../../src/errors/index.ts'
import { PeerBans } from '../../../src/network/index.ts'
import { NETWORK_KEY_FILE_BYTES, keyFingerprint, parseNetworkKey } from '../../../src/network/index.ts'
import { DEFAULT_MANIFEST, ManifestError, parseManifest } from '../../../src/protocol/index.ts'

const HEX = '0f'.repeat(32)

async function peer (seed: number) {
  return peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed)))
}

describe('network key', () => {
  it('parses the swarm key format and fingerprints it without revealing it', () => {
    const key = parseNetworkKey(new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\n`), 'k')
    assert.equal(key.psk.byteLength, NETWORK_KEY_FILE_BYTES)
    assert.equal(key.fingerprint, keyFingerprint(Buffer.from(HEX, 'hex')))
    assert.match(key.fingerprint, /^[0-9a-f]{16}$/)
    assert.ok(!HEX.includes(key.fingerprint))
    // Upper-case hex and CRLF are the same key.
    assert.equal(parseNetworkKey(new TextEncoder().encode(`/key/swarm/psk/1.0.0/\r\n/base16/\r\n${HEX.toUpperCase()}`), 'k').fingerprint, key.fingerprint)
  })

  it('refuses anything else, naming the file and never quoting it', () => {
    for (const text of ['', HEX, `/key/swarm/psk/1.0.0/\n/base64/\n${HEX}`, `/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`]) {
      assert.throws(() => parseNetworkKey(new TextEncoder().encode(text), '/tmp/k'), (err: unknown) =>
        err instanceof ConfigError && err.message.startsWith('/tmp/k is not a network key') && !(HEX !== '' && text !== '' && err.message.includes(HEX.slice(2))))
    }
  })
})

describe('member gater', () => {
  it('refuses non-members at every hook and lets members through', async () => {
    const [a, b, stranger] = await Promise.all([peer(1), peer(2), peer(3)])
    const denied: string[] = []
    const gater = memberGater({ members: [a.toString(), b.toString()], bans: new PeerBans(), onDeny: (p, hook) => { denied.push(`${hook} ${p?.toString() === stranger.toString() ? 'stranger' : 'member'}`) } })
    for (const hook of ['denyDialPeer', 'denyInboundEncryptedConnection', 'denyOutboundEncryptedConnection', 'denyInboundUpgradedConnection', 'denyOutboundUpgradedConnection'] as const) {
      const fn = gater[hook] as (p: typeof a, maConn?: never) => boolean
      assert.equal(fn(a), false, hook)
      assert.equal(fn(stranger), true, hook)
    }
    assert.ok(denied.every(d => d.endsWith('stranger')))
  })

  it('refuses banned peers, members or not, until the ban ends; an empty list admits anyone else', async () => {
    const [a, b] = await Promise.all([peer(1), peer(2)])
    const bans = new PeerBans()
    const open = memberGater({ members: [], bans })
    assert.equal(open.denyDialPeer?.(a), false)
    bans.ban(a.toString(), 60_000)
    assert.equal(open.denyDialPeer?.(a), true)
    assert.equal(open.denyInboundEncryptedConnection?.(a, undefined as never), true)
    assert.equal(open.denyDialPeer?.(b), false)
    bans.ban(b.toString(), -1)
    assert.equal(bans.isBanned(b.toString()), false, 'an expired ban')
  })
})

describe('manifest members', () => {
  it('must be distinct peer ids', async () => {
    const a = (await peer(1)).toString()
    assert.deepEqual(parseManifest({ ...DEFAULT_MANIFEST, members: [a] }).members, [a])
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, members: [a, 'bob'] }), (err: unknown) => err instanceof ManifestError && err.setting === 'members[1]')
    assert.throws(() => parseManifest({ ...DEFAULT_MANIFEST, members: [a, a] }), (err: unknown) => err instanceof ManifestError && /twice/.test(err.message))
  })
})
