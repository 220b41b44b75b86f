/**
 * A hostile meshtrain peer: a real libp2p node that joins a network's update topic and sends,
 * as fast as it can, everything a node must survive: random bytes, truncated and oversized
 * announcements, wrong shapes, non-finite numbers, replays, other networks' ids, forged
 * signatures, equivocations, a model full of NaN, raw garbage gossipsub frames, and model-transfer
 * requests for unknown hashes, of the wrong size and that never finish.
 *
 * Used by test/e2e/hostile-peer.test.ts; also runnable against a live node:
 *
 *   node scripts/hostile-peer.ts --network-id ID --parameters N --target /ip4/.../tcp/.../p2p/... [--messages 8000]
 */
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeAnnouncement, encodeModelPayload, modelProtocol, payloadHash, signAnnouncement, updateTopic } from '../src/protocol/index.ts'
import type { AnnouncementFields, UpdateAnnouncement } from '../src/protocol/index.ts'
import { DEFAULT_MAX_INBOUND_PER_PEER, createMeshtrainLibp2p } from '../src/network/index.ts'
import type { MeshtrainLibp2p } from '../src/network/index.ts'
import type { PrivateKey } from '@libp2p/interface'

/** The kinds of hostile message, in the order they are cycled through. */
export const GOSSIP_KINDS = [
  'random-bytes', 'truncated', 'oversized', 'wrong-shape', 'non-finite', 'replay-own', 'replay-other',
  'wrong-network', 'bad-signature', 'equivocation', 'nan-model'
] as const
export const TRANSFER_KINDS = ['unknown-hash', 'wrong-size-request', 'oversized-request', 'idle-request'] as const
export const RAW_FRAME_KINDS = ['raw-random', 'raw-oversized-frame', 'raw-truncated-frame'] as const

export type HostileKind = typeof GOSSIP_KINDS[number] | typeof TRANSFER_KINDS[number] | typeof RAW_FRAME_KINDS[number]

export interface HostileStormInit {
  /** Multiaddrs of the nodes to attack, each ending in /p2p/<peer-id>. */
  readonly targets: readonly string[]
  /** The network whose topic and protocols are attacked. */
  readonly networkId: string
  /** Parameters of the network's model (announcements that look valid state `4 *` this many bytes). */
  readonly parameters: number
  /** The round the network is at, for announcements that must pass the round window. */
  readonly currentRound: () => number
  /** @default 8_000 */
  readonly gossipMessages?: number
  /** @default 2_000 */
  readonly transferRequests?: number
  /** @default 300 */
  readonly rawFrames?: number
  /** Seed of the random bytes. @default 1 */
  readonly seed?: number
}

export interface HostileStormReport {
  readonly peerId: string
  readonly sent: Readonly<Record<HostileKind, number>>
  readonly total: number
  /** Messages sent while the hostile node still had a connection to a target. */
  readonly sentWhileConnected: number
  /** From the first message sent to the last (building the gossip messages comes before). */
  readonly durationMs: number
}

const GOSSIP_CONCURRENCY = 64
const STREAM_DEADLINE_MS = 2_000

/** A hostile node, started and connected to its targets; `storm()` attacks, `stop()` leaves. */
export class HostilePeer {
  readonly node: MeshtrainLibp2p
  readonly #init: HostileStormInit
  readonly #key: PrivateKey
  readonly #topic: string
  readonly #captured: Uint8Array[] = []
  readonly #nanPayload: Uint8Array
  #random: number

  private constructor (node: MeshtrainLibp2p, key: PrivateKey, init: HostileStormInit) {
    this.node = node
    this.#key = key
    this.#init = init
    this.#topic = updateTopic(init.networkId)
    this.#random = (init.seed ?? 1) >>> 0 || 1
    this.#nanPayload = encodeModelPayload(new Float32Array(init.parameters).fill(NaN))
  }

  /** Start a hostile node on 127.0.0.1, join the topic, serve a NaN model, dial every target. */
  static async start (init: HostileStormInit): Promise<HostilePeer> {
    const key = await generateKeyPair('Ed25519')
    const node = await createMeshtrainLibp2p({
      privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], mdns: false, networkId: init.networkId, maxPayloadBytes: init.parameters * 4
    })
    await node.start()
    const peer = new HostilePeer(node, key, init)
    node.services.modelTransfer.servePayloads({ lookup: hash => hash === payloadHash(peer.#nanPayload) ? peer.#nanPayload : undefined })
    node.services.pubsub.subscribe(peer.#topic)
    // Honest announcements, kept to replay them as our own.
    node.services.pubsub.addEventListener('message', evt => { if (peer.#captured.length < 64) peer.#captured.push(evt.detail.data) })
    for (const target of init.targets) await node.dial(multiaddr(target))
    return peer
  }

  get peerId (): string { return this.node.peerId.toString() }

  /** Wait until every target is subscribed to the topic in this node's view (gossip reaches them). */
  async reachTargets (timeoutMs = 15_000): Promise<void> {
    const targets = this.#init.targets.map(t => multiaddr(t).getComponents().findLast(c => c.name === 'p2p')?.value)
    const deadline = Date.now() + timeoutMs
    while (!targets.every(t => this.node.services.pubsub.getSubscribers(this.#topic).some(p => p.toString() === t))) {
      if (Date.now() > deadline) throw new Error('the hostile peer never saw its targets on the topic')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  /** Send everything, as fast as possible; resolves with what was sent. */
  async storm (): Promise<HostileStormReport> {
    const sent = Object.fromEntries([...GOSSIP_KINDS, ...TRANSFER_KINDS, ...RAW_FRAME_KINDS].map(k => [k, 0])) as Record<HostileKind, number>
    // Built first, so the storm itself runs at the rate of sending, not of signing.
    const gossip: Array<{ kind: typeof GOSSIP_KINDS[number], bytes: Uint8Array }> = []
    for (let i = 0; i < (this.#init.gossipMessages ?? 8_000); i++) {
      const kind = GOSSIP_KINDS[i % GOSSIP_KINDS.length] as typeof GOSSIP_KINDS[number]
      gossip.push({ kind, bytes: await this.#gossipMessage(kind) })
    }
    const started = Date.now()
    // Model-transfer requests and raw frames first: once gossip gets the peer graylisted, the
    // targets hang up on it and refuse it, and nothing more reaches them.
    const targets = this.#init.targets.map(t => multiaddr(t))
    const requests = this.#init.transferRequests ?? 2_000
    // As many streams per target as it serves a peer at once: beyond that each stream is reset
    // unread and counted against the sender (stream-flood, test/e2e/slow-loris.test.ts), which
    // would get it banned before the rest of the storm is sent.
    const concurrency = DEFAULT_MAX_INBOUND_PER_PEER * targets.length
    for (let i = 0; i < requests; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, requests - i) }, async (_, j) => {
        // Mostly unknown hashes; the other kinds every tenth request.
        const n = i + j
        const kind = n % 10 === 0 ? TRANSFER_KINDS[1 + (n / 10) % 3] as typeof TRANSFER_KINDS[number] : 'unknown-hash'
        const target = targets[n % targets.length]
        if (target !== undefined) await this.#transferRequest(target, kind).catch(() => {})
        sent[kind]++
      }))
    }
    const frames = this.#init.rawFrames ?? 300
    for (let n = 0; n < frames; n++) {
      const kind = RAW_FRAME_KINDS[n % RAW_FRAME_KINDS.length] as typeof RAW_FRAME_KINDS[number]
      const target = targets[n % targets.length]
      if (target !== undefined) await this.#rawFrame(target, kind).catch(() => {})
      sent[kind]++
    }
    let sentWhileConnected = requests + frames
    for (let i = 0; i < gossip.length; i += GOSSIP_CONCURRENCY) {
      const batch = gossip.slice(i, i + GOSSIP_CONCURRENCY)
      if (this.node.getConnections().length > 0) sentWhileConnected += batch.length
      await Promise.all(batch.map(async ({ kind, bytes }) => {
        await this.node.services.pubsub.publish(this.#topic, bytes).catch(() => {})
        sent[kind]++
      }))
    }
    const total = Object.values(sent).reduce((a, b) => a + b, 0)
    return { peerId: this.peerId, sent, total, sentWhileConnected, durationMs: Date.now() - started }
  }

  async stop (): Promise<void> {
    await this.node.stop()
  }

  async #gossipMessage (kind: typeof GOSSIP_KINDS[number]): Promise<Uint8Array> {
    const text = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))
    switch (kind) {
      case 'random-bytes': return this.#bytes(1 + this.#int(2000))
      case 'truncated': {
        const bytes = encodeAnnouncement(await this.#signed({}))
        return bytes.subarray(0, this.#int(bytes.byteLength))
      }
      case 'oversized': return text({ ...(await this.#signed({})), padding: 'x'.repeat(3000) })
      case 'wrong-shape': return text(this.#pick([[], {}, 'null', { version: 1 }, { ...this.#fields({}), version: 1 }, [this.#fields({})], { version: 1, round: '7' }]))
      case 'non-finite': {
        const json = new TextDecoder().decode(encodeAnnouncement(await this.#signed({})))
        return text(json.replace(/"loss":[^,}]+/, `"loss":${this.#pick(['NaN', 'Infinity', '1e999', '-1e999'])}`))
      }
      case 'replay-own': return encodeAnnouncement(await this.#signed({ round: this.#init.currentRound(), modelHash: 'ee'.repeat(32) }))
      case 'replay-other': {
        // An honest peer's announcement, or one signed by another key, published as ours.
        const captured = this.#captured[this.#int(this.#captured.length)]
        if (captured !== undefined) return captured
        const other = await generateKeyPair('Ed25519')
        return encodeAnnouncement(await signAnnouncement(this.#fieldsFor(other, {}), other))
      }
      case 'wrong-network': return encodeAnnouncement(await this.#signed({ networkId: Buffer.from(this.#bytes(16)).toString('hex') }))
      case 'bad-signature': return encodeAnnouncement({ ...(await this.#signed({})), signature: Buffer.from(this.#bytes(64)).toString('base64') })
      case 'equivocation': return encodeAnnouncement(await this.#signed({ round: this.#init.currentRound(), modelHash: Buffer.from(this.#bytes(32)).toString('hex') }))
      case 'nan-model': return encodeAnnouncement(await this.#signed({ round: this.#init.currentRound() + 1, modelHash: payloadHash(this.#nanPayload) }))
    }
  }

  async #signed (overrides: Partial<AnnouncementFields>): Promise<UpdateAnnouncement> {
    const fields = this.#fields(overrides)
    if (fields.peerId !== this.peerId) return { ...fields, version: 1, signature: 'AAAA' }
    return await signAnnouncement(fields, this.#key)
  }

  #fields (overrides: Partial<AnnouncementFields>): AnnouncementFields {
    return this.#fieldsFor(this.#key, overrides)
  }

  #fieldsFor (key: PrivateKey, overrides: Partial<AnnouncementFields>): AnnouncementFields {
    return {
      networkId: this.#init.networkId,
      peerId: peerIdFromPrivateKey(key).toString(),
      round: this.#init.currentRound() + this.#int(3),
      modelHash: Buffer.from(this.#bytes(32)).toString('hex'),
      byteLength: this.#init.parameters * 4,
      encoding: 'f32le',
      sampleCount: 100,
      loss: 0.5,
      datasetFingerprint: 'hostile',
      ledgerHead: '',
      ...overrides
    }
  }

  async #transferRequest (target: ReturnType<typeof multiaddr>, kind: typeof TRANSFER_KINDS[number]): Promise<void> {
    const signal = AbortSignal.timeout(STREAM_DEADLINE_MS)
    const stream = await this.node.dialProtocol(target, modelProtocol(this.#init.networkId), { signal })
    try {
      if (kind === 'idle-request') {
        await new Promise(resolve => setTimeout(resolve, 20))
        return
      }
      if (kind === 'oversized-request') {
        stream.send(Uint8Array.from([0x80, 0x80, 0x40, ...this.#bytes(64)])) // a length prefix of 1 MiB
        return
      }
      const lp = lpStream(stream, { maxDataLength: 16 })
      await lp.write(this.#bytes(kind === 'unknown-hash' ? 32 : 5), { signal })
      await lp.read({ signal })
    } finally {
      stream.abort(new Error('hostile peer done'))
    }
  }

  async #rawFrame (target: ReturnType<typeof multiaddr>, kind: typeof RAW_FRAME_KINDS[number]): Promise<void> {
    const stream = await this.node.dialProtocol(target, ['/meshsub/1.2.0', '/meshsub/1.1.0'], { signal: AbortSignal.timeout(STREAM_DEADLINE_MS) })
    if (kind === 'raw-random') stream.send(this.#bytes(1 + this.#int(4096)))
    else if (kind === 'raw-oversized-frame') stream.send(Uint8Array.from([0x80, 0x80, 0x80, 0x01, ...this.#bytes(256)])) // 2 MiB claimed
    else stream.send(Uint8Array.from([0xe8, 0x07, ...this.#bytes(10)])) // 1000 bytes claimed, 10 sent
    stream.abort(new Error('hostile peer done'))
  }

  #int (n: number): number {
    let x = this.#random
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    this.#random = x
    return Math.floor((x / 2 ** 32) * n)
  }

  #bytes (n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.#int(256)) }
  #pick<T> (items: readonly T[]): T { return items[this.#int(items.length)] as T }
}

async function main (argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i === -1 ? undefined : argv[i + 1] }
  const networkId = arg('network-id')
  const parameters = Number(arg('parameters'))
  const target = arg('target')
  if (networkId === undefined || target === undefined || !Number.isInteger(parameters)) {
    console.error('usage: node scripts/hostile-peer.ts --network-id ID --parameters N --target MULTIADDR [--messages 8000] [--round R]')
    process.exit(2)
  }
  const round = Number(arg('round') ?? 0)
  const peer = await HostilePeer.start({ targets: [target], networkId, parameters, currentRound: () => round, gossipMessages: Number(arg('messages') ?? 8_000) })
  await peer.reachTargets()
  const report = await peer.storm()
  console.log(JSON.stringify(report))
  await peer.stop()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })
}
