import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { SETTLED_CONNECTION_MS, connectedPeerCount } from './peer-degree.ts'
import { deadlineSignal } from '../round/index.ts'

/**
 * Dials a node's bootstrap peers, and keeps doing so.
 *
 * `@libp2p/bootstrap` (no longer used) dials its whole list once, shortly after start, and never
 * again; libp2p's reconnect queue redials a KEEP_ALIVE peer only after a disconnect and gives up
 * after five tries. A daemon started before its bootstrap peer, or whose bootstrap peer restarts
 * for more than half a minute, would stay alone. This service dials bootstrap peers that are not
 * connected, with exponential backoff per peer, for as long as the node runs, while the node has
 * fewer peers than it wants (peer-degree.ts): a restarted node whose list holds every peer it met
 * dials only as many as it keeps.
 */
export interface BootstrapRedialInit {
  /** Bootstrap multiaddrs, each ending in `/p2p/<peer-id>`; others are logged and skipped. */
  list: string[]
  /**
   * First retry delay after a failed dial, ms; doubles on each failure.
   * @default 1_000
   */
  minDelayMs?: number
  /**
   * Longest delay between two dials of one peer, ms.
   * @default 30_000
   */
  maxDelayMs?: number
  /**
   * Deadline of one dial, ms.
   * @default 10_000
   */
  dialTimeoutMs?: number
  /**
   * Bootstrap peers are dialled only while the node is connected to fewer peers than this.
   * @default every bootstrap peer, however many others are connected
   */
  targetPeers?: number
}

/** The narrow set of libp2p components the service uses. */
export interface BootstrapRedialComponents {
  logger: ComponentLogger
  connectionManager: {
    openConnection (peer: Multiaddr, options?: AbortOptions): Promise<Connection>
    getConnections (peerId?: PeerId): Connection[]
  }
}

interface Target {
  readonly peerId: PeerId
  readonly address: Multiaddr
  delayMs: number
  nextAttemptAt: number
  dialling: boolean
}

/** How often the service looks at its peers, ms; a dial happens only when a peer's backoff is due. */
const CHECK_INTERVAL_MS = 500

/** See {@link BootstrapRedialInit}. Started and stopped with the libp2p node. */
export class BootstrapRedial implements Startable {
  private readonly components: BootstrapRedialComponents
  private readonly log: Logger
  private readonly targets: Target[]
  private readonly minDelayMs: number
  private readonly maxDelayMs: number
  private readonly dialTimeoutMs: number
  private readonly targetPeers: number
  private run: AbortController | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor (components: BootstrapRedialComponents, init: BootstrapRedialInit) {
    this.components = components
    this.log = components.logger.forComponent('meshtrain:bootstrap-redial')
    this.minDelayMs = init.minDelayMs ?? 1_000
    this.maxDelayMs = init.maxDelayMs ?? 30_000
    this.dialTimeoutMs = init.dialTimeoutMs ?? 10_000
    this.targetPeers = init.targetPeers ?? Number.POSITIVE_INFINITY
    this.targets = []
    for (const text of init.list) {
      try {
        const address = multiaddr(text)
        const id = address.getComponents().findLast(c => c.name === 'p2p')?.value
        if (id === undefined) throw new Error('no /p2p/<peer-id> component')
        this.targets.push({ peerId: peerIdFromString(id), address, delayMs: this.minDelayMs, nextAttemptAt: 0, dialling: false })
      } catch (err) {
        this.log.error('skipping bootstrap address %s - %e', text, err)
      }
    }
  }

  readonly [Symbol.toStringTag] = 'meshtrain:bootstrap-redial'

  /** Idempotent. */
  start (): void {
    if (this.run !== undefined) return
    this.run = new AbortController()
  }

  /** First dials go out once the transports listen. */
  afterStart (): void {
    this.check()
  }

  /** Idempotent; aborts dials in flight. */
  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.run?.abort(new Error('bootstrap redial stopped'))
    this.run = undefined
  }

  private check (): void {
    const run = this.run
    if (run === undefined) return
    const now = Date.now()
    const dialling = this.targets.filter(t => t.dialling).length
    let room = this.targetPeers - connectedPeerCount(this.components.connectionManager.getConnections()) - dialling
    // From a random place in the list, so that nodes given the same list spread over it.
    const start = Math.floor(Math.random() * this.targets.length)
    for (let k = 0; k < this.targets.length; k++) {
      const target = this.targets[(start + k) % this.targets.length] as Target
      if (target.dialling) continue
      const connections = this.components.connectionManager.getConnections(target.peerId)
      if (connections.length > 0) {
        if (connections.some(c => now - c.timeline.open >= SETTLED_CONNECTION_MS)) {
          target.delayMs = this.minDelayMs
          target.nextAttemptAt = 0
        }
        continue
      }
      if (now < target.nextAttemptAt || room <= 0) continue
      room--
      target.dialling = true
      const deadline = deadlineSignal(this.dialTimeoutMs, [run.signal])
      this.components.connectionManager.openConnection(target.address, { signal: deadline.signal })
        .then(() => {
          this.log('connected to bootstrap peer %p', target.peerId)
        }, (err: unknown) => {
          if (run.signal.aborted) return
          this.log('bootstrap peer %p unreachable, next try in %d ms - %e', target.peerId, target.delayMs, err)
        })
        .finally(() => {
          // Backs off after a connection too: a peer that closes it soon (it holds its most peers)
          // is not redialled every check. A connection that lasts resets the delay.
          target.nextAttemptAt = Date.now() + target.delayMs
          target.delayMs = Math.min(target.delayMs * 2, this.maxDelayMs)
        })
        .finally(() => {
          deadline.clear()
          target.dialling = false
        })
        .catch(err => { this.log.error('bootstrap redial bookkeeping failed - %e', err) })
    }
    this.timer = setTimeout(() => { this.check() }, CHECK_INTERVAL_MS)
    // A pending redial must never keep the process alive on its own.
    this.timer.unref()
  }
}

/** libp2p service factory: `services: { bootstrapRedial: bootstrapRedial({ list }) }`. */
export function bootstrapRedial (init: BootstrapRedialInit): (components: BootstrapRedialComponents) => BootstrapRedial {
  return (components) => new BootstrapRedial(components, init)
}
