import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { HOST_BACKOFF_BASE_MS, HOST_BACKOFF_MAX_MS, HOST_REFUSAL_HOLD_MS, HOST_STRIKE_MEMORY_MS, HostBackoff, MAX_HELD_REFUSALS, PeerBans, hostOf, memberGater } from '../../../src/network/index.ts'
import type { MultiaddrConnection } from '@libp2p/interface'

/** The one field of a connection the gater's address hooks read. */
const connectionFrom = (address: string): MultiaddrConnection => ({ remoteAddr: multiaddr(address) }) as unknown as MultiaddrConnection

describe('host back-off', () => {
  it('refuses a struck host for a window that doubles with each strike, up to the longest', () => {
    const hosts = new HostBackoff()
    const t = 1_000_000
    assert.equal(hosts.refuses('127.0.0.1', t), false)
    assert.equal(hosts.strike('127.0.0.1', t), HOST_BACKOFF_BASE_MS)
    assert.equal(hosts.refuses('127.0.0.1', t + HOST_BACKOFF_BASE_MS - 1), true)
    assert.equal(hosts.refuses('127.0.0.2', t), false, 'another host')
    assert.equal(hosts.refuses('127.0.0.1', t + HOST_BACKOFF_BASE_MS), false, 'the window is over')
    const windows = [2, 3, 4, 5, 6].map(i => hosts.strike('127.0.0.1', t + i * 1000))
    assert.deepEqual(windows, [2, 4, 8, 16, 32].map(n => Math.min(HOST_BACKOFF_MAX_MS, n * HOST_BACKOFF_BASE_MS)))
  })

  it('forgets a host quiet for the strike memory: the next window is the first one again', () => {
    const hosts = new HostBackoff()
    for (let i = 0; i < 5; i++) hosts.strike('::1', i)
    assert.equal(hosts.strike('::1', 4 + HOST_STRIKE_MEMORY_MS), HOST_BACKOFF_BASE_MS)
  })

  it('reads the IP of an address', () => {
    assert.equal(hostOf(multiaddr('/ip4/10.1.2.3/tcp/4001')), '10.1.2.3')
    assert.equal(hostOf(multiaddr('/ip6/::1/tcp/4001')), '::1')
    assert.equal(hostOf(multiaddr('/dns4/example.org/tcp/4001')), undefined)
  })
})

describe('member gater with host back-off', () => {
  it('strikes the host of a banned peer refused after its handshake, then refuses that host (loopback too) before the handshake', async () => {
    const banned = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9)))
    const honest = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(8)))
    const bans = new PeerBans()
    const refusals: string[] = []
    const gater = memberGater({ members: [], bans, hosts: new HostBackoff(), onDeny: (peer, hook) => { refusals.push(`${hook} ${peer === undefined ? '-' : peer.equals(banned) ? 'banned' : 'honest'}`) } })
    const fromLoopback = connectionFrom('/ip4/127.0.0.1/tcp/50000')
    assert.equal(await gater.denyInboundConnection?.(fromLoopback), false, 'no strike yet')
    assert.equal(gater.denyInboundEncryptedConnection?.(honest, fromLoopback), false)
    bans.ban(banned.toString(), 60_000)
    assert.equal(gater.denyInboundEncryptedConnection?.(banned, fromLoopback), true)
    assert.equal(await gater.denyInboundConnection?.(connectionFrom('/ip4/127.0.0.2/tcp/50001')), false, 'another host')

    // The next connections from the host, whoever they are: the first ones held, the rest closed at once.
    const started = Date.now()
    const held = Array.from({ length: MAX_HELD_REFUSALS }, async (_, i) => await gater.denyInboundConnection?.(connectionFrom(`/ip4/127.0.0.1/tcp/${50001 + i}`)))
    assert.equal(await gater.denyInboundConnection?.(connectionFrom('/ip4/127.0.0.1/tcp/50100')), true)
    assert.ok(Date.now() - started < HOST_REFUSAL_HOLD_MS / 2, 'a refusal beyond the held ones is not held')
    assert.deepEqual(await Promise.all(held), held.map(() => true))
    assert.ok(Date.now() - started >= HOST_REFUSAL_HOLD_MS - 50, `held ${Date.now() - started} ms`)
    assert.deepEqual(refusals, ['inbound banned', ...held.map(() => 'host -'), 'host -'])
  })

  it('does not strike a host for a refused non-member or for an outbound connection', async () => {
    const stranger = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7)))
    const member = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(6)))
    const bans = new PeerBans()
    const gater = memberGater({ members: [member.toString()], bans, hosts: new HostBackoff() })
    const connection = connectionFrom('/ip4/127.0.0.1/tcp/50000')
    assert.equal(gater.denyInboundEncryptedConnection?.(stranger, connection), true)
    bans.ban(member.toString(), 60_000)
    assert.equal(gater.denyOutboundEncryptedConnection?.(member, connection), true)
    assert.equal(await gater.denyInboundConnection?.(connection), false)
  })
})
