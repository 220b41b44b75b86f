import type { UpdateAnnouncement, ValidationCode } from '../protocol/index.ts'
import { VALIDATION_CODES } from '../protocol/index.ts'
import type { AnnouncementOutcome } from './round-network.ts'

/** Most peers whose latest announcement is remembered for catch-up; beyond it, new peers are not tracked. */
export const MAX_TRACKED_PEERS = 4096
/** Most pieces of equivocation evidence kept. */
export const MAX_EVIDENCE = 256
/**
 * Most announcers accepted for one round; later ones are ignored. Bounds the memory (and the
 * fetches) a flood of announcements signed by freshly made identities can cause in an open network.
 */
export const MAX_ANNOUNCERS_PER_ROUND = 1024

/** Two different signed announcements by one peer for one round: proof that it equivocated. */
export interface EquivocationEvidence {
  readonly peerId: string
  readonly round: number
  readonly first: UpdateAnnouncement
  readonly second: UpdateAnnouncement
}

export interface RoundInboxInit {
  readonly networkId: string
  readonly selfId: string
  /** Exact payload size every announcement must state. */
  readonly payloadBytes: number
  /** The payload encoding every announcement must state (an announcement `encoding`). @default 'f32le' */
  readonly encoding?: string
  /** Rounds within this distance of the current one are kept (until {@link RoundInbox.setRound} changes it). */
  readonly window: number
  /** The manifest's `privacy.delta` on a private network: every announcement must carry its privacy spent with this delta. Absent: none may. */
  readonly privacyDelta?: number
}

/** The outcome of checking one announcement against the node's state. */
export type InboxVerdict = AnnouncementOutcome

/**
 * The stateful half of announcement validation, and the memory of who announced what:
 * network id, payload size, round window, one model per (peer, round), equivocation evidence,
 * and each peer's latest round for catch-up. Pure bookkeeping: no I/O, no timers.
 *
 * Memory is bounded whatever peers send: at most one announcement per (peer, round) for the
 * rounds in the window and {@link MAX_ANNOUNCERS_PER_ROUND} peers per round, one piece of evidence
 * per equivocating (peer, round) and {@link MAX_EVIDENCE} in all, {@link MAX_TRACKED_PEERS} latest
 * announcements. An equivocator's further announcements for that round are refused unread.
 */
export class RoundInbox {
  readonly #init: RoundInboxInit
  #round = 0
  #window: number
  readonly #byRound = new Map<number, Map<string, UpdateAnnouncement>>()
  readonly #equivocators = new Map<number, Set<string>>()
  readonly #latest = new Map<string, UpdateAnnouncement>()
  /** How many tracked peers have their latest announcement in each round: catch-up checks count, not sort. */
  readonly #latestPerRound = new Map<number, number>()
  readonly evidence: EquivocationEvidence[] = []

  constructor (init: RoundInboxInit) {
    this.#init = init
    this.#window = init.window
  }

  get round (): number { return this.#round }

  /**
   * Move to `round` and forget announcements that fell out of the window; `window`, when given,
   * replaces the window from then on (a manifest version may change it).
   */
  setRound (round: number, window = this.#window): void {
    this.#round = round
    this.#window = window
    for (const r of this.#byRound.keys()) if (r < round - window) this.#byRound.delete(r)
    for (const r of this.#equivocators.keys()) if (r < round - window) this.#equivocators.delete(r)
  }

  /** Check an announcement (already decoded and signature-checked) and remember it if accepted. */
  offer (a: UpdateAnnouncement): InboxVerdict {
    if (a.networkId !== this.#init.networkId) return refuse('wrong-network')
    if (a.encoding !== (this.#init.encoding ?? 'f32le')) return refuse('wrong-encoding')
    if (a.byteLength !== this.#init.payloadBytes) return refuse('wrong-size')
    if (a.privacy?.delta !== this.#init.privacyDelta) return refuse('wrong-privacy')
    if (a.peerId === this.#init.selfId) return refuse('duplicate')
    this.#trackLatest(a)
    if (a.round < this.#round - this.#window) return refuse('stale-round')
    if (a.round > this.#round + this.#window) return refuse('future-round')
    let peers = this.#byRound.get(a.round)
    if (peers === undefined) {
      peers = new Map()
      this.#byRound.set(a.round, peers)
    }
    const earlier = peers.get(a.peerId)
    if (earlier === undefined && peers.size >= MAX_ANNOUNCERS_PER_ROUND) return refuse('too-many-announcers')
    if (earlier !== undefined) {
      if (earlier.modelHash === a.modelHash) return refuse('duplicate')
      if (!this.isEquivocator(a.peerId, a.round)) {
        if (this.evidence.length < MAX_EVIDENCE) this.evidence.push({ peerId: a.peerId, round: a.round, first: earlier, second: a })
        let set = this.#equivocators.get(a.round)
        if (set === undefined) this.#equivocators.set(a.round, set = new Set())
        set.add(a.peerId)
      }
      return refuse('equivocation')
    }
    peers.set(a.peerId, a)
    return { verdict: 'accept' }
  }

  /** Accepted announcements for `round`, equivocators left out. */
  announcements (round: number): UpdateAnnouncement[] {
    const peers = this.#byRound.get(round)
    if (peers === undefined) return []
    return [...peers.values()].filter(a => !this.isEquivocator(a.peerId, round))
  }

  /** How many peers equivocated in `round`. */
  equivocators (round: number): number {
    return this.#equivocators.get(round)?.size ?? 0
  }

  isEquivocator (peerId: string, round: number): boolean {
    return this.#equivocators.get(round)?.has(peerId) ?? false
  }

  /**
   * The round the network has moved on to, if this node has fallen behind: the highest round that
   * at least `quorum` peers (or every known peer, if fewer) have announced, when it lies beyond
   * the window. Returns those peers' latest announcements, or undefined when no catch-up is due.
   */
  catchUpTarget (quorum: number): { round: number, announcements: UpdateAnnouncement[] } | undefined {
    // The pivot is the round of the `needed`-th latest announcement from the top: counted per
    // round (a few distinct rounds), so the check a waiting node runs at every wake-up stays
    // cheap however many peers it tracks (a 1,000-peer simulation ran it a million times a round).
    const needed = Math.max(1, Math.min(quorum, this.#latest.size))
    let pivot: number | undefined
    let atOrAbove = 0
    for (const round of [...this.#latestPerRound.keys()].sort((a, b) => b - a)) {
      atOrAbove += this.#latestPerRound.get(round) as number
      if (atOrAbove >= needed) {
        pivot = round
        break
      }
    }
    if (pivot === undefined || pivot <= this.#round + this.#window) return undefined
    const latest = [...this.#latest.values()].sort((a, b) => b.round - a.round)
    return { round: pivot, announcements: latest.filter(a => a.round >= (pivot as number)) }
  }

  #trackLatest (a: UpdateAnnouncement): void {
    const known = this.#latest.get(a.peerId)
    if (known === undefined && this.#latest.size >= MAX_TRACKED_PEERS) return
    if (known !== undefined && a.round <= known.round) return
    this.#latest.set(a.peerId, a)
    if (known !== undefined) {
      const left = (this.#latestPerRound.get(known.round) as number) - 1
      if (left === 0) this.#latestPerRound.delete(known.round)
      else this.#latestPerRound.set(known.round, left)
    }
    this.#latestPerRound.set(a.round, (this.#latestPerRound.get(a.round) ?? 0) + 1)
  }
}

function refuse (code: ValidationCode): InboxVerdict {
  return { verdict: VALIDATION_CODES[code], code }
}
