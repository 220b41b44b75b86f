import type { Connection, PeerId, Startable } from '@libp2p/interface'
import { MAX_TARGET_PEERS } from '../protocol/index.ts'

/**
 * How many peers a node keeps connections to (docs/design.md, "Topology"), as mature daemons
 * bound theirs (Lighthouse's target peers, Kubo's connection manager): a node dials peers it
 * learns of (bootstrap list, network sync, mDNS) only while it has fewer than `target`, and
 * hangs up on peers beyond `max` ({@link DegreeKeeper}). Without a bound every
 * node of an N-node network holds N − 1 connections, and each one costs memory and gossip.
 * Gossip still reaches every node over the mesh (gossipsub's mesh degree is 8), and a model is
 * fetched over the bulk channel from any peer whose address the node knows, connected or not.
 */
export interface PeerDegree {
  /** Peers dialled up to this many. */
  readonly target: number
  /** Connections beyond this many peers are closed. */
  readonly max: number
}

/** The degree of a node that dials up to `target` peers; it keeps a quarter more, so that dialling nodes find room. */
export function peerDegree (target: number): PeerDegree {
  if (!Number.isInteger(target) || target < 1 || target > MAX_TARGET_PEERS) throw new RangeError(`target peers must be a whole number from 1 to ${MAX_TARGET_PEERS}, got ${target}`)
  return { target, max: target + Math.ceil(target / 4) }
}

/**
 * A connection open this long clears its peer's dial back-off, ms: longer than the grace after
 * which a full peer closes an inbound connection beyond its degree (libp2p-node.ts), so that a
 * peer that keeps closing is dialled less and less often.
 */
export const SETTLED_CONNECTION_MS = 30_000

/** Distinct peers among connections (a peer may have more than one). */
export function connectedPeerCount (connections: ReadonlyArray<{ readonly remotePeer: PeerId }>): number {
  return new Set(connections.map(c => c.remotePeer.toString())).size
}

/** How many more peers a node with `connected` peers may dial now. */
export function dialRoom (connected: number, degree: PeerDegree): number {
  return Math.max(0, degree.target - connected)
}

/** How long a connection beyond the node's degree stays open, ms: long enough for the dialer's identify and sync on a loaded host. */
export const EXCESS_CONNECTION_GRACE_MS = 10_000

/** How often the node looks for connections beyond its degree, ms. */
const TRIM_INTERVAL_MS = 5_000

/**
 * The peers to hang up on when a node holds more than `max`: those connected last (by their
 * earliest connection), beyond the first `max`, whose connections have all been open at least
 * the grace. Pure: the service below applies it.
 */
export function excessPeers (connections: ReadonlyArray<Pick<Connection, 'remotePeer' | 'timeline'>>, max: number, now: number, graceMs: number = EXCESS_CONNECTION_GRACE_MS): PeerId[] {
  const since = new Map<string, { peer: PeerId, first: number, last: number }>()
  for (const c of connections) {
    const id = c.remotePeer.toString()
    const seen = since.get(id)
    since.set(id, { peer: c.remotePeer, first: Math.min(seen?.first ?? Infinity, c.timeline.open), last: Math.max(seen?.last ?? 0, c.timeline.open) })
  }
  return [...since.values()].sort((a, b) => a.first - b.first).slice(max).filter(p => now - p.last >= graceMs).map(p => p.peer)
}

/**
 * Keeps a node within its degree. libp2p's own bound (maxConnections) does not apply to
 * allow-listed hosts, the swarm's loopback among them, and dials that race can overshoot: every
 * few seconds the node hangs up on the peers beyond its `max` ({@link excessPeers}), after a grace
 * that lets a newcomer whose only bootstrap peer is full ask it for the others (identify, then
 * network sync). The dialer sees an orderly close, not a failed handshake it could take for a key
 * mismatch.
 */
export class DegreeKeeper implements Startable {
  readonly #components: DegreeKeeperComponents
  readonly #max: number
  #timer: ReturnType<typeof setInterval> | undefined

  constructor (components: DegreeKeeperComponents, degree: PeerDegree) {
    this.#components = components
    this.#max = degree.max
  }

  readonly [Symbol.toStringTag] = 'meshtrain:degree-keeper'

  start (): void {
    this.#timer ??= setInterval(() => { this.trim() }, TRIM_INTERVAL_MS)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Hang up on the peers beyond the degree now. */
  trim (): void {
    const manager = this.#components.connectionManager
    for (const peer of excessPeers(manager.getConnections(), this.#max, Date.now())) {
      manager.closeConnections(peer).catch(() => {})
    }
  }
}

export interface DegreeKeeperComponents {
  readonly connectionManager: {
    getConnections (peerId?: PeerId): Connection[]
    closeConnections (peer: PeerId): Promise<void>
  }
}

/** libp2p service factory: `services: { degreeKeeper: degreeKeeper(degree) }`. */
export function degreeKeeper (degree: PeerDegree): (components: DegreeKeeperComponents) => DegreeKeeper {
  return components => new DegreeKeeper(components, degree)
}
