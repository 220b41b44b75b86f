import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { bootstrap } from '@libp2p/bootstrap'
import { mdns } from '@libp2p/mdns'
import { gossipsub, StrictSign } from '@libp2p/gossipsub'
import { preSharedKey } from '@libp2p/pnet'
import { updateTopic } from '../protocol/topics.ts'
import { bootstrapRedial } from './bootstrap-redial.ts'
import { memberGater } from './connection-gater.ts'
import { KeyMismatchReporter } from './key-mismatch.ts'
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/model-transfer.ts'
import { silentLogger } from './logger.ts'
import type { Logger as OperatorLogger } from './logger.ts'
import type { NetworkKey } from './network-key.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'
import type { BootstrapRedial } from './bootstrap-redial.ts'

/** Plain-data settings of a meshtrain libp2p node. */
export interface MeshtrainLibp2pInit {
  /** The node's identity. */
  readonly privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`; tests use `/ip4/127.0.0.1/tcp/0`. */
  readonly listen: readonly string[]
  /** Bootstrap multiaddrs ending in `/p2p/<peer-id>`; dialled at start and redialled until connected. */
  readonly bootstrap: readonly string[]
  /** Discover peers on the local network by multicast DNS (and dial them). */
  readonly mdns: boolean
  /** The network whose topics this node may join; no other topic is accepted. */
  readonly networkId: string
  /**
   * Largest model payload the node moves, bytes. Bounds what any one stream may queue for a
   * slow reader (yamux `streamOptions.maxWriteBufferLength`), which is otherwise unbounded.
   * @default 268_435_456 (256 MiB)
   */
  readonly maxPayloadBytes?: number
  /**
   * Closed network: the pre-shared key every connection is encrypted with before any handshake;
   * a peer without it gets no connection.
   */
  readonly networkKey?: NetworkKey
  /**
   * Closed network: the member peer ids. When non-empty, the connection gater refuses every other
   * peer before any protocol runs.
   * @default []
   */
  readonly members?: readonly string[]
  /**
   * Operator log sink: likely key mismatches and refused non-members are reported here.
   * @default a sink that drops everything
   */
  readonly log?: OperatorLogger
}

/** Most peers banned at once; beyond it the ban that ends first is dropped. */
const MAX_BANNED_PEERS = 4096

/**
 * Peers this node refuses for a while (the connection gater asks it). Gossipsub forgets a peer's
 * score when the peer reconnects, so a graylisted peer is also disconnected and banned: otherwise
 * it could hang up and come back with a clean score.
 */
export class PeerBans {
  readonly #until = new Map<string, number>()

  /** Refuse `peerId` for `ms` milliseconds from now. */
  ban (peerId: string, ms: number): void {
    this.#until.delete(peerId)
    if (this.#until.size >= MAX_BANNED_PEERS) {
      const first = this.#until.keys().next().value
      if (first !== undefined) this.#until.delete(first)
    }
    this.#until.set(peerId, Date.now() + ms)
  }

  isBanned (peerId: string): boolean {
    const until = this.#until.get(peerId)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#until.delete(peerId)
    return false
  }
}

/** The services every meshtrain node runs (a type alias: libp2p's ServiceMap needs an index signature). */
export type MeshtrainServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  /** Peers refused for a while (graylisted ones); the connection gater consults it. */
  peerBans: PeerBans
  /** Invalid payloads by peer, which lower its gossipsub score. */
  payloadPenalties: PayloadPenalties
  /** Present when the bootstrap list is non-empty. */
  bootstrapRedial?: BootstrapRedial
}

/** A libp2p node assembled by {@link createMeshtrainLibp2p}. */
export type MeshtrainLibp2p = Libp2p<MeshtrainServices>

/**
 * Loopback, where a local swarm runs many nodes: allowed past the connection manager's
 * per-host inbound rate limit (5 new connections per second by default) and `maxConnections`.
 */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'] as const

/** Loopback hosts whitelisted for gossipsub's IP-colocation penalty (P6). */
export const LOOPBACK_IPS = ['127.0.0.1', '::1'] as const

/**
 * Largest gossipsub RPC frame accepted, bytes. Announcements are under 2 KiB
 * (MAX_ANNOUNCEMENT_BYTES); 1 MiB leaves room for batched control messages and is a quarter of
 * the 4 MiB default, so a peer cannot make us decode big frames.
 */
export const MAX_GOSSIP_RPC_BYTES = 1024 * 1024

/**
 * Score weight of one invalid message on the update topic (P4, squared counter). Three invalid
 * messages (-90) take a fresh peer below the graylist threshold (-80); a peer that earned the
 * most an honest peer can (time in mesh and first deliveries, about +46) needs four (-114).
 */
export const INVALID_MESSAGE_WEIGHT = -10

/**
 * Gossipsub's score thresholds, set for a low-rate training topic (gossipsub v1.1 spec,
 * https://github.com/libp2p/specs/blob/master/pubsub/gossipsub/gossipsub-v1.1.md#the-score-thresholds).
 * An honest peer's score never goes below 0 here: the only penalties are invalid messages
 * (P4, which honest peers never send), broken promises beyond {@link BEHAVIOUR_PENALTY_THRESHOLD}
 * (P7) and IP colocation (P6, off for loopback).
 */
export const SCORE_THRESHOLDS = {
  /** Below: no gossip (IHAVE/IWANT) is exchanged with the peer. One invalid message (-10) reaches it. */
  gossipThreshold: -10,
  /** Below: this node's own announcements are not flood-published to the peer. */
  publishThreshold: -50,
  /** Below: every RPC from the peer is ignored. Three invalid messages reach it. */
  graylistThreshold: -80,
  /** Peer exchange is taken only from peers this well scored: in practice from members and bootstrap peers' meshes, not strangers. */
  acceptPXThreshold: 10,
  /** Median mesh score below which the node grafts better-scored peers. */
  opportunisticGraftThreshold: 5
} as const

/**
 * Broken promises (IHAVE answered by nothing) a peer may have pending before P7 counts: a slow
 * but honest peer misses the odd IWANT deadline, a spammer of IHAVEs misses them all.
 */
export const BEHAVIOUR_PENALTY_THRESHOLD = 6

/**
 * Most messages and subscriptions one gossipsub RPC may carry; a larger RPC is dropped whole.
 * Announcements are under 2 KiB and travel one to a few per RPC.
 */
export const DECODE_RPC_LIMITS = {
  maxSubscriptions: 64,
  maxMessages: 256,
  maxIhaveMessageIDs: 5000,
  maxIwantMessageIDs: 5000,
  maxControlMessages: 256,
  maxIdontwantMessageIDs: 512,
  maxPeerInfos: 16
} as const

/**
 * Per-second decay of the invalid-message counter: a half-life of about 70 s, so a peer that
 * sent garbage stays penalised for minutes rather than gossipsub's default two seconds.
 */
export const INVALID_MESSAGE_DECAY = 0.99

/**
 * Score weight of one provably invalid payload (hash mismatch, wrong size, non-finite values),
 * fed to gossipsub as its application-specific score (P5): three such payloads (-90) take a peer
 * below the graylist threshold (-80), as three invalid announcements do.
 */
export const INVALID_PAYLOAD_WEIGHT = -30

/** Per-second decay of the invalid-payload penalty, as for invalid messages. */
export const INVALID_PAYLOAD_DECAY = INVALID_MESSAGE_DECAY

/** Most peers whose payload penalties are remembered; beyond it the oldest is dropped. */
const MAX_PENALISED_PEERS = 4096

/** Invalid payloads by peer, decaying over time: gossipsub's application-specific score. */
export class PayloadPenalties {
  readonly #penalties = new Map<string, { count: number, at: number }>()

  /** Count one invalid payload against `peerId`. */
  add (peerId: string, now = Date.now()): void {
    const count = this.#decayed(peerId, now) + 1
    this.#penalties.delete(peerId)
    if (this.#penalties.size >= MAX_PENALISED_PEERS) {
      const oldest = this.#penalties.keys().next().value
      if (oldest !== undefined) this.#penalties.delete(oldest)
    }
    this.#penalties.set(peerId, { count, at: now })
  }

  /** The peer's application-specific score: INVALID_PAYLOAD_WEIGHT per (decayed) invalid payload. */
  score (peerId: string, now = Date.now()): number {
    const count = this.#decayed(peerId, now)
    return count === 0 ? 0 : INVALID_PAYLOAD_WEIGHT * count
  }

  #decayed (peerId: string, now: number): number {
    const entry = this.#penalties.get(peerId)
    if (entry === undefined) return 0
    return entry.count * INVALID_PAYLOAD_DECAY ** ((now - entry.at) / 1000)
  }
}

/** Stream write queues are never capped below libp2p's own 4 MiB message limits. */
const MIN_WRITE_BUFFER_BYTES = 4 * 1024 * 1024

/**
 * Assemble (but do not start) a libp2p v3 node: TCP, Noise, Yamux, identify, ping, gossipsub,
 * bootstrap with redial when the list is non-empty, mDNS when enabled. The caller starts and
 * stops it.
 */
export async function createMeshtrainLibp2p (init: MeshtrainLibp2pInit): Promise<MeshtrainLibp2p> {
  const topic = updateTopic(init.networkId)
  const maxPayloadBytes = init.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new RangeError(`MeshtrainLibp2pInit.maxPayloadBytes is ${maxPayloadBytes}; a positive integer is allowed`)
  }
  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (init.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: [...init.bootstrap] }))
  if (init.mdns) peerDiscovery.push(mdns())
  const operatorLog = init.log ?? silentLogger
  const members = init.members ?? []
  const mismatch = init.networkKey === undefined ? undefined : new KeyMismatchReporter(init.networkKey.fingerprint, operatorLog)
  const closed: Partial<Libp2pOptions> = {}
  if (init.networkKey !== undefined) {
    const protector = preSharedKey({ psk: init.networkKey.psk })
    closed.connectionProtector = mismatch === undefined ? protector : () => mismatch.watch(protector())
  }
  const bans = new PeerBans()
  const penalties = new PayloadPenalties()
  closed.connectionGater = memberGater(members, bans, (peer, hook, maConn) => {
    mismatch?.gated(maConn)
    if (hook !== 'dial') operatorLog.debug(`refused ${hook} connection of ${bans.isBanned(peer.toString()) ? 'banned peer' : 'non-member'} ${peer.toString()}`)
  })

  const node = await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: [...init.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // Yamux's read side needs no change: its window grows to 16 MiB and data is handed to the
    // stream's listener as it arrives, so the only buffer a big payload fills is the transfer
    // client's own, which it sizes from the announcement. The write side queues without bound
    // by default; no stream ever needs to queue more than one payload.
    streamMuxers: [yamux({
      streamOptions: { maxWriteBufferLength: Math.max(MIN_WRITE_BUFFER_BYTES, maxPayloadBytes + 64 * 1024) }
    })],
    connectionManager: {
      allow: [...LOOPBACK_ALLOW]
    },
    ...closed,
    peerDiscovery,
    services: {
      identify: identify(),
      ping: ping(),
      peerBans: () => bans,
      payloadPenalties: () => penalties,
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        emitSelf: false,
        // A node alone (first of its network, or between restarts) must not throw on announce.
        allowPublishToZeroTopicPeers: true,
        allowedTopics: [topic],
        fallbackToFloodsub: false,
        maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
        decodeRpcLimits: { ...DECODE_RPC_LIMITS },
        scoreThresholds: { ...SCORE_THRESHOLDS },
        scoreParams: {
          IPColocationFactorWhitelist: new Set(LOOPBACK_IPS),
          behaviourPenaltyThreshold: BEHAVIOUR_PENALTY_THRESHOLD,
          appSpecificScore: peerId => penalties.score(peerId),
          appSpecificWeight: 1,
          topics: {
            [topic]: {
              topicWeight: 1,
              timeInMeshWeight: 0.01,
              timeInMeshQuantum: 1_000,
              timeInMeshCap: 3_600,
              firstMessageDeliveriesWeight: 1,
              firstMessageDeliveriesDecay: 0.9,
              firstMessageDeliveriesCap: 10,
              // One announcement per peer and round: a mesh peer can never deliver the default
              // 20 messages per window, so the "too few deliveries" penalty (P3, P3b) stays off.
              meshMessageDeliveriesWeight: 0,
              meshMessageDeliveriesDecay: 0.5,
              meshMessageDeliveriesCap: 100,
              meshMessageDeliveriesThreshold: 20,
              meshMessageDeliveriesWindow: 10,
              meshMessageDeliveriesActivation: 5_000,
              meshFailurePenaltyWeight: 0,
              meshFailurePenaltyDecay: 0.5,
              invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
              invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY
            }
          }
        }
      }),
      ...(init.bootstrap.length > 0 ? { bootstrapRedial: bootstrapRedial({ list: [...init.bootstrap] }) } : {})
    }
  })

  if (mismatch !== undefined) {
    node.addEventListener('connection:open', (evt) => { mismatch.opened(evt.detail.remoteAddr.toString()) })
  }
  if (init.mdns) {
    // libp2p v3 does not dial discovered peers by itself; bootstrap peers are dialled by their
    // own module, mDNS finds are dialled here.
    const log = node.logger.forComponent('meshtrain:mdns-dial')
    node.addEventListener('peer:discovery', (evt) => {
      const peer = evt.detail
      if (peer.id.equals(node.peerId) || node.getConnections(peer.id).length > 0) return
      node.dial(peer.id).catch((err: unknown) => { log('could not dial discovered peer %p - %e', peer.id, err) })
    })
  }
  return node
}

/**
 * A peer's gossipsub score as this node sees it (0 for an unknown peer). Gossipsub's service
 * interface does not declare `getScore`; its implementation has it.
 */
export function gossipScore (node: MeshtrainLibp2p, peerId: string): number {
  const pubsub = node.services.pubsub as GossipSub & { getScore?: (peerId: string) => number }
  if (typeof pubsub.getScore !== 'function') throw new TypeError('this gossipsub has no getScore')
  return pubsub.getScore(peerId)
}

/**
 * A ready-to-paste bootstrap address of a started node, `/ip4/<host>/tcp/<port>/p2p/<peer-id>`,
 * preferring a non-loopback IPv4 address (reachable from other hosts) and falling back to
 * loopback. Undefined when the node listens on no IPv4 TCP address.
 */
export function bootstrapAddress (node: Pick<Libp2p, 'getMultiaddrs' | 'peerId'>): string | undefined {
  const suffix = `/p2p/${node.peerId.toString()}`
  const candidates = node.getMultiaddrs()
    .map(ma => ma.toString())
    .filter(text => /^\/ip4\/[^/]+\/tcp\/\d+/.test(text))
    .map(text => text.endsWith(suffix) ? text : `${text}${suffix}`)
  return candidates.find(text => !text.startsWith('/ip4/127.')) ?? candidates[0]
}
