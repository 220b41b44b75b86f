import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { mdns } from '@libp2p/mdns'
import { gossipsub, StrictSign } from '@libp2p/gossipsub'
import { preSharedKey } from '@libp2p/pnet'
import { peerIdFromString } from '@libp2p/peer-id'
import { DEFAULT_TARGET_PEERS, updateTopic } from '../protocol/index.ts'
import { silentLogger } from '../round/index.ts'
import type { Logger as OperatorLogger } from '../round/index.ts'
import { bootstrapRedial } from './bootstrap-redial.ts'
import { memberAdmission, memberGater } from './connection-gater.ts'
import { HostBackoff } from './host-backoff.ts'
import { bulkChannel } from './bulk-channel.ts'
import type { BulkChannel, BulkChannelInit } from './bulk-channel.ts'
import { KeyMismatchReporter } from './key-mismatch.ts'
import { modelTransfer } from './model-transfer.ts'
import { networkSync } from './network-sync.ts'
import { connectedPeerCount, degreeKeeper, dialRoom, peerDegree } from './peer-degree.ts'
import type { DegreeKeeper } from './peer-degree.ts'
import { ledgerExchange } from './ledger-exchange.ts'
import type { LedgerExchange } from './ledger-exchange.ts'
import type { NetworkSync, NetworkSyncInit } from './network-sync.ts'
import type { ModelTransfer, ModelTransferInit } from './model-transfer.ts'
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/index.ts'
import { DECODE_RPC_LIMITS, LOOPBACK_ALLOW, MAX_GOSSIP_RPC_BYTES, SCORE_THRESHOLDS, gossipScoreParams } from './gossip-scoring.ts'
import { BanEnforcement } from './ban-enforcement.ts'
import { PeerPenalties } from './peer-penalties.ts'
import { PeerBans } from './peer-bans.ts'
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
  /**
   * Peers dialled up to this many; the node hangs up on peers beyond a quarter more
   * (peer-degree.ts).
   * @default DEFAULT_TARGET_PEERS (16)
   */
  readonly targetPeers?: number
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
   * peer before any protocol runs. A Set is read live (manifest versions change it).
   * @default []
   */
  readonly members?: readonly string[] | ReadonlySet<string>
  /**
   * Limits of the model-transfer service (its `networkId` and `maxPayloadBytes` come from above).
   * @default the defaults of ModelTransferInit
   */
  readonly modelTransfer?: Omit<ModelTransferInit, 'networkId' | 'maxPayloadBytes'>
  /**
   * Port and limits of the bulk channel (docs/wire.md §6.2): it listens on the host of the first
   * TCP listen address, on any free port unless `port` says otherwise.
   * @default the defaults of BulkChannelInit
   */
  readonly bulkChannel?: Omit<BulkChannelInit, 'networkId' | 'host' | 'maxPayloadBytes' | 'networkKey' | 'admit'>
  /**
   * Options of the peer and manifest-version exchange (its `networkId` comes from above).
   * @default the defaults of NetworkSyncInit
   */
  readonly networkSync?: Omit<NetworkSyncInit, 'networkId'>
  /**
   * Operator log sink: likely key mismatches and refused non-members are reported here.
   * @default a sink that drops everything
   */
  readonly log?: OperatorLogger
  /**
   * libp2p's metrics implementation (the daemon passes `@libp2p/prometheus-metrics` on the API's
   * registry); gossipsub registers its own metrics there too.
   * @default no metrics
   */
  readonly metrics?: Libp2pOptions['metrics']
  /**
   * Where gossipsub registers its own metrics (the update topic is labelled `updates`).
   * @default none
   */
  readonly gossipsubMetrics?: NonNullable<Parameters<typeof gossipsub>[0]>['metricsRegister']
}

/** The services every meshtrain node runs (a type alias: libp2p's ServiceMap needs an index signature). */
export type MeshtrainServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  /** Peers refused for a while (graylisted ones); the connection gater consults it. */
  peerBans: PeerBans
  /** Offences by peer (payloads, equivocation, model-stream abuse): gossipsub's application-specific score. */
  peerPenalties: PeerPenalties
  /** Bans and disconnects every peer whose score falls below the graylist threshold, with growing back-off. */
  banEnforcement: BanEnforcement
  /** The model-transfer protocol: payloads by hash. */
  modelTransfer: ModelTransfer
  /** The same payloads by hash over TLS 1.3 beside libp2p, at native speed. */
  bulkChannel: BulkChannel
  /** Present when the bootstrap list is non-empty. */
  bootstrapRedial?: BootstrapRedial
  /** Peer and manifest-version exchange: one bootstrap address finds every member. */
  networkSync: NetworkSync
  /** Hangs up on peers beyond the node's degree (peer-degree.ts). */
  degreeKeeper: DegreeKeeper
  /** Questions about peers' audit ledgers (checkpoints, proofs, entries), and this node's answers. */
  ledgerExchange: LedgerExchange
}

/** A libp2p node assembled by {@link createMeshtrainLibp2p}. */
export type MeshtrainLibp2p = Libp2p<MeshtrainServices>

/** Stream write queues are never capped below libp2p's own 4 MiB message limits. */
const MIN_WRITE_BUFFER_BYTES = 4 * 1024 * 1024

/** Room beyond the largest payload in a stream's write queue, bytes (64 KiB): the frame's length prefix and status byte, and slack. */
const WRITE_BUFFER_HEADROOM_BYTES = 64 * 1024

/**
 * How often libp2p's connection monitor pings each connected peer, ms (libp2p's default: 10 s),
 * and the least time a ping may take before the connection is aborted as dead (libp2p's: 5 s,
 * adapted upwards from the pings' mean and spread). A host under load answers slowly, not never:
 * 50 daemons starting on 2 cores answered pings in 5.6 s on average, the 5 s floor aborted
 * connections that were sound, and the bootstrap redial dialled them again: a churn of Noise
 * handshakes (134 of a node's 173 dials failed their handshake) that kept the host loaded and
 * the network from forming. A dead peer's socket still closes at once on the same host; across
 * hosts the monitor now notices a silent one within a minute and a half. One ping a minute per
 * connection is also a sixth of the streams the default opens (2,450 connections in a 50-daemon swarm).
 */
export const PING_INTERVAL_MS = 60_000
export const PING_MIN_TIMEOUT_MS = 30_000

/**
 * Assemble (but do not start) a libp2p v3 node: TCP, Noise, Yamux, identify, ping, gossipsub,
 * the bootstrap redial when the list is non-empty, mDNS when enabled, a bounded peer degree. The caller starts and
 * stops it.
 */
export async function createMeshtrainLibp2p (init: MeshtrainLibp2pInit): Promise<MeshtrainLibp2p> {
  const topic = updateTopic(init.networkId)
  const maxPayloadBytes = init.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) {
    throw new RangeError(`MeshtrainLibp2pInit.maxPayloadBytes is ${maxPayloadBytes}; a positive integer is allowed`)
  }
  const degree = peerDegree(init.targetPeers ?? DEFAULT_TARGET_PEERS)
  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
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
  // An offence that takes a peer below the threshold bans it at once, not at the next check: a
  // flood of streams ends with the first wave.
  const penalties = new PeerPenalties(peerId => {
    if (enforcement.score(peerId) < SCORE_THRESHOLDS.graylistThreshold) enforcement.check()
  })
  // Reads the node once it exists; libp2p starts it with the node, after gossipsub.
  const assembled: { node?: MeshtrainLibp2p } = {}
  const enforcement = new BanEnforcement({
    bans,
    penalties,
    gossipScore: peerId => (assembled.node === undefined ? 0 : gossipScore(assembled.node, peerId)),
    gossipPeers: () => assembled.node?.services.pubsub.getPeers().map(String) ?? [],
    hangUp: async peerId => { await assembled.node?.hangUp(peerIdFromString(peerId)) },
    log: operatorLog
  })
  closed.connectionGater = memberGater({
    members,
    bans,
    hosts: new HostBackoff(),
    onDeny: (peer, hook, maConn) => {
      mismatch?.gated(maConn)
      if (hook === 'dial') return
      operatorLog.debug(peer === undefined
        ? `refused inbound connection from ${maConn?.remoteAddr.toString() ?? 'an address'} before its handshake: a banned peer redials from its host`
        : `refused ${hook} connection of ${bans.isBanned(peer.toString()) ? 'banned peer' : 'non-member'} ${peer.toString()}`)
    }
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
      streamOptions: { maxWriteBufferLength: Math.max(MIN_WRITE_BUFFER_BYTES, maxPayloadBytes + WRITE_BUFFER_HEADROOM_BYTES) }
    })],
    connectionManager: {
      allow: [...LOOPBACK_ALLOW]
    },
    connectionMonitor: { pingInterval: PING_INTERVAL_MS, pingTimeout: { minTimeout: PING_MIN_TIMEOUT_MS } },
    ...closed,
    ...(init.metrics === undefined ? {} : { metrics: init.metrics }),
    peerDiscovery,
    services: {
      identify: identify(),
      ping: ping(),
      peerBans: () => bans,
      peerPenalties: () => penalties,
      modelTransfer: modelTransfer({ onOffence: (peer, offence) => { penalties.add(peer, offence) }, ...init.modelTransfer, networkId: init.networkId, maxPayloadBytes }),
      bulkChannel: bulkChannel({
        onOffence: (peer, offence) => { penalties.add(peer, offence) },
        ...init.modelTransfer,
        ...init.bulkChannel,
        networkId: init.networkId,
        host: listenHost(init.listen),
        maxPayloadBytes,
        admit: memberAdmission(members, bans),
        ...(init.networkKey === undefined ? {} : { networkKey: init.networkKey })
      }),
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
        scoreParams: gossipScoreParams(topic, peerId => penalties.score(peerId)),
        ...(init.gossipsubMetrics == null ? {} : { metricsRegister: init.gossipsubMetrics, metricsTopicStrToLabel: new Map([[topic, 'updates']]) })
      }),
      networkSync: networkSync({ onOffence: (peer, offence) => { penalties.add(peer, offence) }, targetPeers: degree.target, ...init.networkSync, networkId: init.networkId }),
      ledgerExchange: ledgerExchange({ onOffence: (peer, offence) => { penalties.add(peer, offence) }, networkId: init.networkId }),
      ...(init.bootstrap.length > 0 ? { bootstrapRedial: bootstrapRedial({ list: [...init.bootstrap], targetPeers: degree.target }) } : {}),
      banEnforcement: () => enforcement,
      degreeKeeper: degreeKeeper(degree)
    }
  })
  assembled.node = node

  if (mismatch !== undefined) {
    node.addEventListener('connection:open', (evt) => { mismatch.opened(evt.detail.remoteAddr.toString()) })
  }
  if (init.mdns) {
    // libp2p v3 does not dial discovered peers by itself; bootstrap peers are dialled by the
    // bootstrap redial, mDNS finds here, while the node wants more peers.
    const log = node.logger.forComponent('meshtrain:mdns-dial')
    node.addEventListener('peer:discovery', (evt) => {
      const peer = evt.detail
      if (peer.id.equals(node.peerId) || node.getConnections(peer.id).length > 0) return
      if (dialRoom(connectedPeerCount(node.getConnections()), degree) === 0) return
      node.dial(peer.id).catch((err: unknown) => { log('could not dial discovered peer %p - %e', peer.id, err) })
    })
  }
  return node
}

/** The host of the first IPv4 or IPv6 TCP listen address (the bulk channel listens there too); 0.0.0.0 when there is none. */
function listenHost (listen: readonly string[]): string {
  for (const address of listen) {
    const match = /^\/ip[46]\/([^/]+)\/tcp\//.exec(address)
    if (match !== null) return match[1] as string
  }
  return '0.0.0.0'
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
