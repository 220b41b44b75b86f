import { InvalidDataLengthError, lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import {
  ValidationError, MAX_SYNC_ADDRESSES, MAX_SYNC_PEERS, MAX_SYNC_REQUEST_BYTES, MAX_SYNC_RESPONSE_BYTES, decodeSyncRequest, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse,
  syncProtocol
} from '../protocol/index.ts'
import type { ManifestVersion, SyncPeer } from '../protocol/index.ts'
import type { ProtocolRegistrar } from './protocol-registrar.ts'
import { SETTLED_CONNECTION_MS } from './peer-degree.ts'
import { deadlineSignal } from '../round/index.ts'

/**
 * Peer and manifest-version exchange as a libp2p service (wire: src/protocol/sync-wire.ts and
 * docs/wire.md). Every `intervalMs`, and as soon as a peer is identified, the node asks one
 * connected peer which peers it is connected to (with their listen addresses) and for the
 * manifest versions after its own; it dials peers it is not connected to while it has fewer than
 * it wants (peer-degree.ts; the connection gater still refuses non-members), remembers the
 * addresses of the others (the {@link MAX_LEARNED_PEERS} heard of last), and hands the versions to
 * the node, which verifies them. So a member given one bootstrap address finds every member (and
 * can reach any of them: the bulk channel fetches from peers it is not connected to), and a version published on one node
 * reaches all of them. A node that adopts a version asks every peer at once
 * ({@link NetworkSync.syncWithEveryPeer}); a peer asked by a node holding a later version than its
 * own asks it back, so a version moves one hop per adoption, not one per random pick.
 */

/** Options of the sync service. */
export interface NetworkSyncInit {
  /** The network whose protocol id (`/meshtrain/<network-id>/sync/1.0.0`) is served and dialled. */
  networkId: string
  /**
   * How often one connected peer (picked at random) is asked, ms.
   * @default 5_000
   */
  intervalMs?: number
  /**
   * Deadline of one exchange, on either side, ms.
   * @default 10_000
   */
  requestTimeoutMs?: number
  /**
   * Most peers dialled after one answer.
   * @default 16
   */
  maxDialsPerAnswer?: number
  /**
   * Peers are dialled only while the node is connected to fewer than this.
   * @default every peer heard of
   */
  targetPeers?: number
  /**
   * Told of every peer whose request or answer breaks the format (the node's one penalty score).
   * @default ignore them
   */
  onOffence?: (peerId: string, offence: 'invalid-sync') => void
}

/** What the node serves and takes: its manifest versions. */
export interface VersionSource {
  /** The number of the last version this node holds (0: the genesis only). */
  current (): number
  /** Versions after `n`, in order. */
  after (n: number): readonly ManifestVersion[]
  /** Versions a peer sent (not yet verified: the node checks them against its chain). */
  offer (versions: readonly ManifestVersion[], from: string): Promise<void>
}

/** The narrow set of libp2p components the service needs. */
export interface NetworkSyncComponents {
  readonly peerId: PeerId
  readonly logger: ComponentLogger
  readonly registrar: ProtocolRegistrar
  readonly connectionManager: {
    openStream (peer: PeerId, protocol: string | string[], options?: AbortOptions): Promise<Stream>
    openConnection (peer: Multiaddr, options?: AbortOptions): Promise<Connection>
    getConnections (peerId?: PeerId): Connection[]
  }
  readonly peerStore: {
    get (peerId: PeerId): Promise<{ addresses: ReadonlyArray<{ multiaddr: Multiaddr }> }>
  }
  readonly events: EventTarget
}

/**
 * Peers whose addresses the service remembers without being connected to them; the oldest heard
 * of is forgotten first, so hostile answers cannot make the node hold more.
 */
export const MAX_LEARNED_PEERS = 1024

/** Longest wait before a peer heard of is dialled again, ms (5 min). */
export const MAX_DIAL_BACKOFF_MS = 300_000

/** See {@link NetworkSyncInit}. Started and stopped with the libp2p node. */
export class NetworkSync implements Startable {
  private readonly components: NetworkSyncComponents
  private readonly log: Logger
  private readonly protocol: string
  private readonly intervalMs: number
  private readonly requestTimeoutMs: number
  private readonly maxDialsPerAnswer: number
  private readonly targetPeers: number
  /** Listen addresses of peers heard of in answers, oldest first. */
  private readonly learned = new Map<string, readonly string[]>()
  /** Peers being dialled now. */
  private readonly dialling = new Set<string>()
  /** When each peer heard of may be dialled again, and the delay after that. */
  private readonly backoff = new Map<string, { delayMs: number, nextAt: number }>()
  private readonly onOffence: (peerId: string, offence: 'invalid-sync') => void
  private source: VersionSource | undefined
  private run: AbortController | undefined
  /** Peers being asked back (one exchange at a time each: a peer cannot make this node open more). */
  private readonly askingBack = new Set<string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly onIdentify = (event: Event): void => {
    const peer = (event as CustomEvent<{ peerId: PeerId }>).detail?.peerId
    if (peer !== undefined) this.syncWith(peer)
  }

  constructor (components: NetworkSyncComponents, init: NetworkSyncInit) {
    this.components = components
    this.log = components.logger.forComponent('meshtrain:network-sync')
    this.protocol = syncProtocol(init.networkId)
    this.intervalMs = init.intervalMs ?? 5_000
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000
    this.maxDialsPerAnswer = init.maxDialsPerAnswer ?? 16
    this.targetPeers = init.targetPeers ?? Number.POSITIVE_INFINITY
    this.onOffence = init.onOffence ?? (() => {})
  }

  readonly [Symbol.toStringTag] = 'meshtrain:network-sync'

  /** Serve and take manifest versions through `source` from now on; undefined: none. */
  serveVersions (source: VersionSource | undefined): void {
    this.source = source
  }

  /** Register the handler and start asking. Idempotent. */
  async start (): Promise<void> {
    if (this.run !== undefined) return
    this.run = new AbortController()
    await this.components.registrar.handle(this.protocol, async (stream, connection) => { await this.serve(stream, connection) }, { maxInboundStreams: 4 })
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.timer = setInterval(() => { this.tick() }, this.intervalMs)
  }

  /** Idempotent. */
  async stop (): Promise<void> {
    if (this.run === undefined) return
    clearInterval(this.timer)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.run.abort(new Error('network sync stopped'))
    this.run = undefined
    await this.components.registrar.unhandle(this.protocol)
  }

  /** Ask `peer` now (fire and forget: failures are logged). */
  syncWith (peer: PeerId): void {
    this.exchange(peer).catch((err: unknown) => { this.log('sync with %p failed - %s', peer, err instanceof Error ? err.message : String(err)) })
  }

  /** Ask every connected peer now: after adopting a version, so that it spreads at once. */
  syncWithEveryPeer (): void {
    const peers = new Map(this.components.connectionManager.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer]))
    for (const peer of peers.values()) this.syncWith(peer)
  }

  /** Every interval: ask one connected peer, and dial peers heard of before while the node wants more. */
  private tick (): void {
    this.syncWithRandomPeer()
    const run = this.run
    if (run === undefined) return
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal])
    this.dialWanted(deadline.signal)
      .finally(() => { deadline.clear() })
      .catch((err: unknown) => { this.log('dialling peers heard of failed - %s', err instanceof Error ? err.message : String(err)) })
  }

  private syncWithRandomPeer (): void {
    const peers = [...new Set(this.components.connectionManager.getConnections().map(c => c.remotePeer.toString()))]
    const pick = peers[Math.floor(Math.random() * peers.length)]
    const connection = this.components.connectionManager.getConnections().find(c => c.remotePeer.toString() === pick)
    if (connection !== undefined) this.syncWith(connection.remotePeer)
  }

  private async exchange (peer: PeerId): Promise<void> {
    const run = this.run
    if (run === undefined) return
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal])
    const { signal } = deadline
    try {
      const stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal })
      let answer
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_SYNC_RESPONSE_BYTES })
        await lp.write(encodeSyncRequest(this.source?.current() ?? 0), { signal })
        answer = decodeSyncResponse((await lp.read({ signal })).subarray())
        await stream.close({ signal })
      } catch (err) {
        if (err instanceof ValidationError || err instanceof InvalidDataLengthError) this.onOffence(peer.toString(), 'invalid-sync')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
      if (answer.versions.length > 0 && this.source !== undefined) await this.source.offer(answer.versions, peer.toString())
      await this.dialNew(answer.peers, signal)
    } finally {
      deadline.clear()
    }
  }

  /** Peers heard of in answers (connected or not), with their listen addresses. */
  learnedPeers (): ReadonlyMap<string, readonly string[]> {
    return this.learned
  }

  /** Remember the peers of an answer, and dial some of those heard of while the node wants more. */
  private async dialNew (peers: readonly SyncPeer[], signal: AbortSignal): Promise<void> {
    const self = this.components.peerId.toString()
    for (const p of peers) if (p.id !== self && p.addrs.length > 0) this.learn(p)
    await this.dialWanted(signal)
  }

  /**
   * Dial peers heard of, not connected and not in back-off, from a random place in the list, up
   * to the node's room (peer-degree.ts) and `maxDialsPerAnswer`. Each dial backs its peer off,
   * doubling up to {@link MAX_DIAL_BACKOFF_MS} (a full peer closes the connection after a grace);
   * a connection that has lasted {@link SETTLED_CONNECTION_MS} clears its peer's back-off.
   */
  private async dialWanted (signal: AbortSignal): Promise<void> {
    const connections = this.components.connectionManager.getConnections()
    const now = Date.now()
    for (const c of connections) {
      if (now - c.timeline.open >= SETTLED_CONNECTION_MS) this.backoff.delete(c.remotePeer.toString())
    }
    const connected = new Set(connections.map(c => c.remotePeer.toString()))
    const room = Math.min(this.maxDialsPerAnswer, this.targetPeers - connected.size) - this.dialling.size
    if (room <= 0) return
    const candidates = [...this.learned].filter(([id]) => !connected.has(id) && !this.dialling.has(id) && (this.backoff.get(id)?.nextAt ?? 0) <= now)
    const start = Math.floor(Math.random() * candidates.length)
    const targets = candidates.slice(start).concat(candidates.slice(0, start)).slice(0, room)
    await Promise.all(targets.map(async ([id, addrs]) => {
      const delayMs = this.backoff.get(id)?.delayMs ?? this.intervalMs
      this.backoff.set(id, { delayMs: Math.min(2 * delayMs, MAX_DIAL_BACKOFF_MS), nextAt: now + delayMs })
      this.dialling.add(id)
      try {
        for (const text of addrs) {
          try {
            const address = multiaddr(text.includes('/p2p/') ? text : `${text}/p2p/${id}`)
            await this.components.connectionManager.openConnection(address, { signal })
            this.log('connected to %s found through a peer', id)
            return
          } catch (err) {
            this.log('dial of %s at %s failed - %s', id, text, err instanceof Error ? err.message : String(err))
          }
        }
      } finally {
        this.dialling.delete(id)
      }
    }))
  }

  private learn (peer: SyncPeer): void {
    this.learned.delete(peer.id)
    this.learned.set(peer.id, peer.addrs)
    if (this.learned.size > MAX_LEARNED_PEERS) {
      const oldest = this.learned.keys().next().value as string
      this.learned.delete(oldest)
      this.backoff.delete(oldest)
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const run = this.run
    if (run === undefined) return stream.abort(new Error('network sync stopped'))
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal])
    const { signal } = deadline
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_SYNC_REQUEST_BYTES })
      const after = decodeSyncRequest((await lp.read({ signal })).subarray())
      const peers = await this.knownPeers(connection.remotePeer)
      await lp.write(encodeSyncResponse({ peers, versions: this.source?.after(after) ?? [] }), { signal })
      await stream.close({ signal })
      // The asker holds versions this node lacks: ask it back rather than wait for a random pick.
      if (this.source !== undefined && after > this.source.current()) this.askBack(connection.remotePeer)
    } catch (err) {
      if (err instanceof ValidationError || err instanceof InvalidDataLengthError) this.onOffence(connection.remotePeer.toString(), 'invalid-sync')
      this.log('serving sync to %p failed - %s', connection.remotePeer, err instanceof Error ? err.message : String(err))
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      deadline.clear()
    }
  }

  private askBack (peer: PeerId): void {
    const id = peer.toString()
    if (this.askingBack.has(id)) return
    this.askingBack.add(id)
    this.exchange(peer)
      .catch((err: unknown) => { this.log('asking %p back failed - %s', peer, err instanceof Error ? err.message : String(err)) })
      .finally(() => { this.askingBack.delete(id) })
  }

  /** The peers this node is connected to, but the asker, with the addresses they listen on. */
  private async knownPeers (asker: PeerId): Promise<SyncPeer[]> {
    const peers = new Map<string, PeerId>()
    for (const c of this.components.connectionManager.getConnections()) {
      if (!c.remotePeer.equals(asker)) peers.set(c.remotePeer.toString(), c.remotePeer)
    }
    const known = await Promise.all([...peers.values()].slice(0, MAX_SYNC_PEERS).map(async peer => {
      const stored = await this.components.peerStore.get(peer).catch(() => ({ addresses: [] }))
      const addrs = stored.addresses.map(a => a.multiaddr.toString()).filter(a => !a.includes('/p2p-circuit')).slice(0, MAX_SYNC_ADDRESSES)
      return { id: peer.toString(), addrs }
    }))
    return known.filter(p => p.addrs.length > 0)
  }
}

/** The sync service factory for libp2p's `services` map. */
export function networkSync (init: NetworkSyncInit): (components: NetworkSyncComponents) => NetworkSync {
  return components => new NetworkSync(components, init)
}
