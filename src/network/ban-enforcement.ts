import type { Startable } from '@libp2p/interface'
import type { Logger as OperatorLogger } from '../round/index.ts'
import { SCORE_THRESHOLDS } from './gossip-scoring.ts'
import type { PeerBans } from './peer-bans.ts'
import type { PeerPenalties } from './peer-penalties.ts'

/** How often every scored peer is checked against the graylist threshold, ms (gossipsub's heartbeat). */
export const BAN_CHECK_INTERVAL_MS = 1000

/** What the enforcement reads and does; the libp2p node assembly wires it. */
export interface BanEnforcementInit {
  readonly bans: PeerBans
  readonly penalties: PeerPenalties
  /** The peer's gossipsub score (which includes the penalties as P5); 0 for a peer gossipsub does not know. */
  readonly gossipScore: (peerId: string) => number
  /** Peers gossipsub scores. */
  readonly gossipPeers: () => readonly string[]
  /** Close every connection to the peer. */
  readonly hangUp: (peerId: string) => Promise<void>
  readonly log: OperatorLogger
}

/**
 * The one ban path: every second (and at once after an offence that takes a peer below it: see
 * createMeshtrainLibp2p), any peer whose score is below the graylist threshold (-80) is
 * banned with a growing back-off ({@link PeerBans.banWithBackoff}) and disconnected. The score is
 * the lower of gossipsub's (invalid signatures, rejected announcements, plus the penalties) and the
 * penalties alone (payloads, equivocation, model-stream abuse), so a peer gossipsub does not know
 * is banned too.
 */
export class BanEnforcement implements Startable {
  readonly #init: BanEnforcementInit
  #timer: ReturnType<typeof setInterval> | undefined

  constructor (init: BanEnforcementInit) {
    this.#init = init
  }

  start (): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => { this.check() }, BAN_CHECK_INTERVAL_MS)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The peer's score as the ban sees it. */
  score (peerId: string, now = Date.now()): number {
    return Math.min(this.#init.gossipScore(peerId), this.#init.penalties.score(peerId, now))
  }

  /** Ban and disconnect every peer below the threshold now; returns the peers banned. */
  check (now = Date.now()): string[] {
    const { bans, penalties, gossipPeers, hangUp, log } = this.#init
    const banned: string[] = []
    for (const peerId of new Set([...penalties.peers(now), ...gossipPeers()])) {
      if (bans.isBanned(peerId, now)) continue
      const score = this.score(peerId, now)
      if (score >= SCORE_THRESHOLDS.graylistThreshold) continue
      const ms = bans.banWithBackoff(peerId, now)
      banned.push(peerId)
      log.warn(`peer ${peerId} banned for ${formatMinutes(ms)} (score ${score.toFixed(1)}, below ${SCORE_THRESHOLDS.graylistThreshold}): disconnected and refused`, { peer: peerId })
      hangUp(peerId).catch((err: unknown) => { log.debug(`hanging up on ${peerId} failed: ${String(err)}`) })
    }
    return banned
  }
}

function formatMinutes (ms: number): string {
  return ms >= 60 * 60_000 ? `${(ms / 3_600_000).toFixed(ms % 3_600_000 === 0 ? 0 : 1)} h` : `${Math.round(ms / 60_000)} min`
}
