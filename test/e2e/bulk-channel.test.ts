import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect as tlsConnect } from 'node:tls'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeModel, payloadHash, TransferError } from '../../src/protocol/index.ts'
import { BulkChannel, Libp2pRoundNetwork, bootstrapAddress, createMeshtrainLibp2p, parseNetworkKey } from '../../src/network/index.ts'
import type { MeshtrainLibp2p, NetworkKey } from '../../src/network/index.ts'
import type { PrivateKey } from '@libp2p/interface'
import { TEST_NETWORK_ID, testAnnouncement } from './test-announcement.ts'

const NETWORK_ID = TEST_NETWORK_ID

/** Everything a test started, stopped in afterEach in reverse order. */
let running: Array<() => Promise<void>> = []
afterEach(async function () {
  const stops = running.reverse()
  running = []
  for (const stop of stops) await stop()
})

interface Member { readonly node: MeshtrainLibp2p, readonly network: Libp2pRoundNetwork, readonly privateKey: PrivateKey }

async function startMember (options: { networkKey?: NetworkKey, members?: string[], privateKey?: PrivateKey } = {}): Promise<Member> {
  const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
  const node = await createMeshtrainLibp2p({
    privateKey,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    networkId: NETWORK_ID,
    maxPayloadBytes: 8_000_000,
    ...(options.networkKey === undefined ? {} : { networkKey: options.networkKey }),
    ...(options.members === undefined ? {} : { members: options.members })
  })
  running.push(async () => { await node.stop() })
  await node.start()
  const network = new Libp2pRoundNetwork({ libp2p: node, networkId: NETWORK_ID })
  running.push(async () => { await network.stop() })
  await network.start()
  return { node, network, privateKey }
}

/** A bulk channel of its own (no libp2p node) with the given identity, serving `payload`. */
async function standaloneChannel (privateKey: PrivateKey, payload: Uint8Array, networkKey?: NetworkKey): Promise<BulkChannel> {
  const channel = new BulkChannel({ privateKey, logger: defaultLogger() }, {
    networkId: NETWORK_ID, host: '127.0.0.1', ...(networkKey === undefined ? {} : { networkKey })
  })
  channel.servePayloads({ lookup: hash => (hash === payloadHash(payload) ? payload : undefined) })
  running.push(async () => { await channel.stop() })
  await channel.start()
  return channel
}

async function connect (from: Member, to: Member): Promise<void> {
  const address = bootstrapAddress(to.node)
  assert.ok(address !== undefined)
  await from.node.dial(to.node.peerId)
    .catch(async () => { await from.node.dial((await import('@multiformats/multiaddr')).multiaddr(address)) })
}

function testKey (): NetworkKey {
  return parseNetworkKey(new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}`), 'test')
}

/** Resolve once `check` holds (checked every 20 ms); reject after the deadline. */
async function until (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const weights = (count: number): Float32Array => Float32Array.from({ length: count }, (_, i) => Math.sin(i) * 0.1)

describe('bulk channel (two real libp2p nodes on 127.0.0.1)', function () {
  it('fetches an announced model over the bulk channel, by hash, and says it did', async function () {
    const a = await startMember()
    const b = await startMember()
    await connect(a, b)
    const payload = encodeModel(weights(2_000_000), 'float32') // 8 MB: hashed in the worker thread
    const port = b.network.bulkPort
    assert.ok(port !== undefined && port > 0, 'the bulk channel listens')
    const published = await testAnnouncement(b, payload, { bulkPort: port })
    await b.network.announce(published, payload)
    const fetched = await a.network.fetchPayload(published, AbortSignal.timeout(20_000))
    assert.equal(payloadHash(fetched), published.modelHash)
    assert.equal(fetched.byteLength, payload.byteLength)
    assert.deepEqual(a.network.stats().fetches, { bulk: 1, modelProtocol: 0 })
    // The server counts the request once its side of the connection has closed.
    await until('b counts the request served', () => b.network.stats().transferRequests.accept === 1)
  })

  it('negotiates TLS 1.3 with AES-128-GCM, its first suite, even with a client that prefers another', async function () {
    const channel = await standaloneChannel(await generateKeyPair('Ed25519'), new Uint8Array(1))
    // node:tls's default client offers TLS_AES_256_GCM_SHA384 first.
    const socket = tlsConnect({ host: '127.0.0.1', port: channel.port as number, rejectUnauthorized: false, ALPNProtocols: [channel.protocol] })
    running.push(async () => { socket.destroy() })
    await once(socket, 'secureConnect')
    assert.equal(socket.getProtocol(), 'TLSv1.3')
    assert.equal(socket.getCipher().standardName, 'TLS_AES_128_GCM_SHA256')
  })

  it('refuses a server whose certificate another libp2p key vouches for, and falls back to the model protocol', async function () {
    const a = await startMember()
    const b = await startMember()
    await connect(a, b)
    const payload = encodeModel(weights(10_000), 'float32')
    // An impostor serves the same bytes on its own port, with a certificate of another key.
    const impostor = await standaloneChannel(await generateKeyPair('Ed25519'), payload)
    const impostorAddress = { host: '127.0.0.1', port: impostor.port as number }
    await assert.rejects(a.node.services.bulkChannel.fetch(b.node.peerId.toString(), impostorAddress, payloadHash(payload), payload.byteLength),
      (err: unknown) => err instanceof TransferError && err.code === 'bad-certificate' && err.message.includes(`expected ${b.node.peerId.toString()}`))
    // b's announcement pointing at the impostor's port (as a rewritten address would): the fetch
    // refuses the impostor and takes the model from b over libp2p.
    const published = await testAnnouncement(b, payload, { bulkPort: impostor.port })
    await b.network.announce(published, payload)
    const fetched = await a.network.fetchPayload(published, AbortSignal.timeout(20_000))
    assert.equal(payloadHash(fetched), published.modelHash)
    assert.deepEqual(a.network.stats().fetches, { bulk: 0, modelProtocol: 1 })
  })

  it('does not fall back when the announcer itself serves other bytes under the hash: the fetch fails with hash-mismatch', async function () {
    const a = await startMember()
    const b = await startMember()
    await connect(a, b)
    const payload = encodeModel(weights(10_000), 'float32')
    const wrong = payload.slice()
    wrong[5] = (wrong[5] as number) ^ 0xff
    // b's own key behind a channel that serves the wrong bytes for the right hash.
    const lying = new BulkChannel({ privateKey: b.privateKey, logger: defaultLogger() }, { networkId: NETWORK_ID, host: '127.0.0.1' })
    lying.servePayloads({ lookup: hash => (hash === payloadHash(payload) ? wrong : undefined) })
    running.push(async () => { await lying.stop() })
    await lying.start()
    const published = await testAnnouncement(b, payload, { bulkPort: lying.port })
    await b.network.announce(published, payload)
    await assert.rejects(a.network.fetchPayload(published, AbortSignal.timeout(20_000)), (err: unknown) => err instanceof TransferError && err.code === 'hash-mismatch')
    assert.deepEqual(a.network.stats().fetches, { bulk: 0, modelProtocol: 0 })
  })

  it('in a closed network, serves members with the key and refuses a client without it or outside the member list', async function () {
    const networkKey = testKey()
    const [keyA, keyB, keyOutsider] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
    const members = [keyA, keyB].map(k => peerIdFromPrivateKey(k).toString())
    const a = await startMember({ networkKey, members, privateKey: keyA })
    const b = await startMember({ networkKey, members, privateKey: keyB })
    await connect(a, b)
    const payload = encodeModel(weights(10_000), 'float32')
    const published = await testAnnouncement(b, payload, { bulkPort: b.network.bulkPort })
    await b.network.announce(published, payload)
    await a.network.fetchPayload(published, AbortSignal.timeout(20_000))
    assert.deepEqual(a.network.stats().fetches, { bulk: 1, modelProtocol: 0 })

    const address = { host: '127.0.0.1', port: b.network.bulkPort as number }
    const fetchWith = async (key: PrivateKey, psk?: NetworkKey): Promise<unknown> => {
      const client = await standaloneChannel(key, new Uint8Array(1), psk)
      return await client.fetch(b.node.peerId.toString(), address, published.modelHash, payload.byteLength, { signal: AbortSignal.timeout(10_000) })
    }
    // A member's identity without the network key: b refuses before any payload byte moves.
    await assert.rejects(fetchWith(keyA), (err: unknown) => err instanceof TransferError && err.code !== 'hash-mismatch')
    // The network key without membership: refused as well.
    await assert.rejects(fetchWith(keyOutsider, networkKey), (err: unknown) => err instanceof TransferError && err.code !== 'hash-mismatch')
    // A member with the key gets the model from a channel of its own too.
    assert.equal(payloadHash(await fetchWith(keyA, networkKey) as Uint8Array), published.modelHash)
  })
})
