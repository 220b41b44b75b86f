import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeAnnouncement } from '../../src/protocol/index.ts'
import { decodeModelPayload, encodeModelPayload, payloadHash } from '../../src/protocol/index.ts'
import { modelProtocol } from '../../src/protocol/index.ts'
import { TransferError } from '../../src/protocol/index.ts'
import { bootstrapAddress, createMeshtrainLibp2p, gossipScore } from '../../src/network/index.ts'
import { Libp2pRoundNetwork, OFFENCE_WEIGHTS } from '../../src/network/index.ts'
import type { PrivateKey, Stream } from '@libp2p/interface'
import type { UpdateAnnouncement } from '../../src/protocol/index.ts'
import type { MeshtrainLibp2p } from '../../src/network/index.ts'
import { TEST_NETWORK_ID, testAnnouncement } from './test-announcement.ts'

const NETWORK_ID = TEST_NETWORK_ID
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

interface Member {
  readonly node: MeshtrainLibp2p
  readonly network: Libp2pRoundNetwork
  readonly privateKey: PrivateKey
  /** Peers in this node's gossipsub mesh on the update topic, kept from graft/prune events. */
  readonly mesh: Set<string>
}

/** Everything a test started, stopped in afterEach in reverse order. */
let running: Array<() => Promise<void>> = []

afterEach(async function () {
  const stops = running.reverse()
  running = []
  for (const stop of stops) await stop()
})

interface NodeOptions { bootstrap?: string[], listen?: string, privateKey?: PrivateKey, members?: string[] }

/** A started meshtrain libp2p node without a round network. */
async function startNode (options: NodeOptions = {}): Promise<{ node: MeshtrainLibp2p, privateKey: PrivateKey }> {
  const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
  const node = await createMeshtrainLibp2p({
    privateKey,
    listen: [options.listen ?? LOOPBACK],
    bootstrap: options.bootstrap ?? [],
    mdns: false,
    networkId: NETWORK_ID,
    maxPayloadBytes: 8_000_000,
    members: options.members ?? []
  })
  running.push(async () => { await node.stop() })
  await node.start()
  return { node, privateKey }
}

async function startMember (options: NodeOptions = {}): Promise<Member> {
  const { node, privateKey } = await startNode(options)
  const network = new Libp2pRoundNetwork({ libp2p: node, networkId: NETWORK_ID, members: options.members ?? [] })
  const mesh = new Set<string>()
  // Listen before subscribing, so no graft goes unseen.
  node.services.pubsub.addEventListener('gossipsub:graft', evt => { if (evt.detail.topic === network.topic) mesh.add(evt.detail.peerId) })
  node.services.pubsub.addEventListener('gossipsub:prune', evt => { if (evt.detail.topic === network.topic) mesh.delete(evt.detail.peerId) })
  running.push(async () => { await network.stop() })
  await network.start()
  return { node, network, privateKey, mesh }
}

/**
 * Resolve once `check` holds, re-checking whenever one of the events fires on one of the targets;
 * reject after the deadline.
 */
async function waitFor (what: string, targets: EventTarget[], events: string[], check: () => boolean, timeoutMs = 15_000): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    const onEvent = (): void => { if (check()) done() }
    const timer = setTimeout(() => { done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
    function done (err?: Error): void {
      clearTimeout(timer)
      for (const target of targets) for (const event of events) target.removeEventListener(event, onEvent)
      if (err === undefined) resolve()
      else reject(err)
    }
    for (const target of targets) for (const event of events) target.addEventListener(event, onEvent)
  })
}

function address (node: MeshtrainLibp2p): string {
  const text = bootstrapAddress(node)
  assert.ok(text !== undefined, 'node has a bootstrap address')
  return text
}

/** Deterministic finite float32 parameters (xorshift32), so failures reproduce. */
function randomWeights (count: number, seed: number): Float32Array {
  const weights = new Float32Array(count)
  let x = seed >>> 0 || 1
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    weights[i] = (x / 2 ** 32 - 0.5) * 0.2
  }
  return weights
}


async function rejectsWith (promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TransferError, `expected a TransferError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  })
}

describe('libp2p round network (real nodes on 127.0.0.1)', function () {
  it('gossips signed announcements along a line of three nodes and rejects garbage', async function () {
    const a = await startMember()
    const b = await startMember({ bootstrap: [address(a.node)] })
    const c = await startMember({ bootstrap: [address(a.node)] })
    const members = [a, b, c]
    await waitFor('meshes A-B and A-C', members.map(m => m.node.services.pubsub), ['gossipsub:graft', 'gossipsub:heartbeat'],
      () => a.mesh.has(b.node.peerId.toString()) && a.mesh.has(c.node.peerId.toString()) &&
        b.mesh.has(a.node.peerId.toString()) && c.mesh.has(a.node.peerId.toString()))

    const received = members.map(() => [] as UpdateAnnouncement[])
    const seen = new EventTarget()
    members.forEach((member, i) => {
      member.network.onAnnouncement(announcement => {
        received[i]?.push(announcement)
        seen.dispatchEvent(new Event('announcement'))
        return { verdict: 'accept' }
      })
    })
    for (const [i, member] of members.entries()) {
      const payload = encodeModelPayload(randomWeights(16, i + 1))
      await member.network.announce(await testAnnouncement(member, payload), payload)
    }
    await waitFor('every node to see the two others', [seen], ['announcement'], () => received.every(list => list.length === 2))
    members.forEach((member, i) => {
      const senders = new Set(received[i]?.map(x => x.peerId))
      assert.equal(senders.has(member.network.peerId), false, 'no node hears itself')
      assert.equal(senders.size, 2)
    })
    assert.equal(a.network.peerCount(), 2)
    assert.equal(b.network.peerCount(), 1)

    // Garbage and an announcement signed by B but published by C: A rejects both, so neither
    // reaches any handler nor travels on to B.
    const forged = encodeAnnouncement(await testAnnouncement(b, encodeModelPayload(randomWeights(16, 9)), { round: 2 }))
    await c.node.services.pubsub.publish(c.network.topic, new TextEncoder().encode('{"not": "an announcement"'))
    await c.node.services.pubsub.publish(c.network.topic, forged)
    await waitFor('A to reject both', [a.node.services.pubsub], ['gossipsub:heartbeat'],
      () => a.network.validationCounts().get('malformed') === 1 && a.network.validationCounts().get('sender-mismatch') === 1)
    assert.deepEqual(received.map(list => list.length), [2, 2, 2])
    assert.equal(b.network.validationCounts().get('malformed'), undefined)
    assert.equal(a.network.validationCounts().get('accept'), 2)
  })

  it('a member one manifest version ahead relays a new member\'s announcements without being penalised by a member still behind', async function () {
    // X joined in a version R has adopted and S not yet: S refuses X's connection and ignores its
    // announcements, but the relay R acts in good faith, so S must not score it down (three
    // rejected messages would ban R for ten minutes and split the network during every vote).
    const [xKey, rKey, sKey] = await Promise.all([1, 2, 3].map(async () => generateKeyPair('Ed25519'))) as [PrivateKey, PrivateKey, PrivateKey]
    const [x, r, s] = [xKey, rKey, sKey].map(k => peerIdFromPrivateKey(k).toString()) as [string, string, string]
    const relay = await startMember({ privateKey: rKey, members: [x, r, s] })
    const behind = await startMember({ privateKey: sKey, members: [r, s], bootstrap: [address(relay.node)] })
    const joiner = await startMember({ privateKey: xKey, members: [x, r, s], bootstrap: [address(relay.node)] })
    await waitFor('meshes X-R and R-S', [joiner, relay, behind].map(m => m.node.services.pubsub), ['gossipsub:graft', 'gossipsub:heartbeat'],
      () => relay.mesh.has(x) && relay.mesh.has(s) && behind.mesh.has(r) && joiner.mesh.has(r))
    relay.network.onAnnouncement(() => ({ verdict: 'accept' }))
    behind.network.onAnnouncement(() => ({ verdict: 'accept' }))
    for (let round = 1; round <= 5; round++) {
      const payload = encodeModelPayload(randomWeights(16, round))
      await joiner.network.announce(await testAnnouncement(joiner, payload, { round }), payload)
    }
    await waitFor('S to refuse the five announcements R relayed', [behind.node.services.pubsub], ['gossipsub:heartbeat'],
      () => behind.network.validationCounts().get('not-a-member') === 5)
    assert.equal(relay.network.validationCounts().get('accept'), 5)
    // Two heartbeats: the ban enforcement looks every second.
    for (let beats = 0; beats < 2; beats++) await new Promise(resolve => { behind.node.services.pubsub.addEventListener('gossipsub:heartbeat', resolve, { once: true }) })
    assert.ok(gossipScore(behind.node, r) >= 0, `R's score at S: ${gossipScore(behind.node, r)}`)
    assert.equal(behind.node.services.peerBans.isBanned(r), false)
    assert.ok(behind.node.getConnections(relay.node.peerId).length > 0, 'S still connected to R')
    assert.equal(behind.node.getConnections(joiner.node.peerId).length, 0, 'the gater kept X away from S')
  })

  it('moves an 8,000,000-byte model by hash and refuses unknown hashes', async function () {
    const a = await startMember()
    const b = await startMember({ bootstrap: [address(a.node)] })
    await waitFor('B to connect to A', [b.node], ['peer:connect'], () => b.node.getConnections(a.node.peerId).length > 0)

    const weights = randomWeights(2_000_000, 42)
    const payload = encodeModelPayload(weights)
    assert.equal(payload.byteLength, 8_000_000)
    const announcement = await testAnnouncement(a, payload)
    await a.network.announce(announcement, payload)

    const started = performance.now()
    const fetched = await b.network.fetchPayload(announcement, AbortSignal.timeout(30_000))
    const elapsedMs = performance.now() - started
    console.log(`      8,000,000 bytes over loopback in ${elapsedMs.toFixed(0)} ms`)
    assert.deepEqual(decodeModelPayload(fetched, announcement.modelHash, 2_000_000), weights)

    const unknown = await testAnnouncement(a, encodeModelPayload(randomWeights(2_000_000, 7)))
    await rejectsWith(b.network.fetchPayload(unknown, AbortSignal.timeout(10_000)), 'not-found')
  })

  it('refuses answers of the wrong size, truncated answers and wrong bytes', async function () {
    const client = await startMember()
    const liarMember = await startNode()
    const liar = liarMember.node
    const payload = encodeModelPayload(randomWeights(250_000, 3))
    const announcement = await testAnnouncement(liarMember, payload)
    let answer: (stream: Stream) => Promise<void> = async () => {}
    // The liar answers with a handler of its own in place of its model-transfer service.
    await liar.unhandle(modelProtocol(NETWORK_ID))
    await liar.handle(modelProtocol(NETWORK_ID), async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 32 })
      await lp.read()
      await answer(stream)
    })
    await client.node.dial(multiaddr(address(liar)))

    const frame = (length: number, body: Uint8Array): Uint8Array => {
      const head = lengthPrefix(length)
      const out = new Uint8Array(head.byteLength + body.byteLength)
      out.set(head)
      out.set(body, head.byteLength)
      return out
    }
    const found = (bytes: Uint8Array): Uint8Array => Uint8Array.from([0x46, ...bytes])

    answer = async (stream) => { stream.send(frame(payload.byteLength + 1 + 4, found(new Uint8Array(payload.byteLength + 4)))); await stream.close() }
    await rejectsWith(client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)), 'wrong-size')

    answer = async (stream) => { stream.send(frame(payload.byteLength + 1 - 4, found(payload.subarray(4)))); await stream.close() }
    await rejectsWith(client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)), 'wrong-size')

    answer = async (stream) => { stream.send(frame(payload.byteLength + 1, found(payload.subarray(0, 1000)))); await stream.close() }
    await rejectsWith(client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)), 'truncated')

    const wrong = payload.slice()
    wrong[0] = (wrong[0] ?? 0) ^ 1
    answer = async (stream) => { stream.send(frame(payload.byteLength + 1, found(wrong))); await stream.close() }
    await rejectsWith(client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)), 'hash-mismatch')
  })

  it('resets a stream beyond the per-peer limit unread and counts it against the peer (one peer never takes the shared slots)', async function () {
    const server = await startMember()
    const client = await startMember({ bootstrap: [address(server.node)] })
    const payload = encodeModelPayload(randomWeights(1_000, 5))
    const announcement = await testAnnouncement(server, payload)
    await server.network.announce(announcement, payload)
    // Four streams that never send their request hold all four per-peer slots until they close.
    const idle = await Promise.all([1, 2, 3, 4].map(async () =>
      await client.node.dialProtocol(server.node.peerId, modelProtocol(NETWORK_ID), { negotiateFully: true })))
    await rejectsWith(client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)), 'stream-error')
    // One offence, decayed by 0.99 a second for the few ms since.
    assert.ok(Math.abs(server.node.services.peerPenalties.score(client.node.peerId.toString()) - OFFENCE_WEIGHTS['stream-flood']) < 0.01)
    for (const stream of idle) stream.abort(new Error('test done'))
    // Slots free up as the server sees the resets; the next fetches succeed once one is free.
    let fetched: Uint8Array | undefined
    for (let attempt = 0; fetched === undefined; attempt++) {
      assert.ok(attempt < 100, 'a slot frees up after the idle streams are reset')
      fetched = await client.network.fetchPayload(announcement, AbortSignal.timeout(10_000)).catch((err: unknown) => {
        if (err instanceof TransferError && err.code === 'stream-error') return undefined
        throw err
      })
    }
    assert.equal(payloadHash(fetched), announcement.modelHash)
    assert.ok(!server.node.services.peerBans.isBanned(client.node.peerId.toString()))
  })

  it('connects to a bootstrap peer that comes up after the node started', async function () {
    const port = await freePort()
    const lateKey = await generateKeyPair('Ed25519')
    const lateId = peerIdFromPrivateKey(lateKey)
    const early = await startMember({ bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${lateId.toString()}`] })
    // The redial dials its list at start; nothing listens on the port yet, so its first dials fail.
    await delay(1_500)
    assert.equal(early.node.getConnections(lateId).length, 0)

    await startNode({ privateKey: lateKey, listen: `/ip4/127.0.0.1/tcp/${port}` })
    await waitFor('the early node to reach the late bootstrap peer', [early.node], ['peer:connect'],
      () => early.node.getConnections(lateId).length > 0, 20_000)
  })
})

function lengthPrefix (value: number): Uint8Array {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return Uint8Array.from(bytes)
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const bound = server.address()
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  assert.ok(bound !== null && typeof bound === 'object')
  return bound.port
}
