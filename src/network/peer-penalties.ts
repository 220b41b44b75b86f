import { INVALID_MESSAGE_DECAY, INVALID_MESSAGE_WEIGHT, INVALID_PAYLOAD_WEIGHT } from './gossip-scoring.ts'

/** Most peers whose penalties are remembered; beyond it the oldest is dropped. */
export const MAX_PENALISED_PEERS = 4096

/**
 * Misbehaviour outside gossipsub's own view, each a peer's fault, with its score weight. Gossipsub
 * scores what it sees itself (invalid signatures, messages the validator rejects: P4); these are
 * added to it as its application-specific score (P5), so one score decides the graylist and the ban.
 */
export const OFFENCE_WEIGHTS = {
  /** A served payload whose hash, size or values are wrong (only its sender can get them wrong). */
  'invalid-payload': INVALID_PAYLOAD_WEIGHT,
  /**
   * Two signed announcements with different models for one round: provable from the two
   * signatures. Two take a peer below the graylist threshold. (An honest node never does it, even
   * across a restart: it keeps what it announced.)
   */
  equivocation: -50,
  /** A model stream opened beyond the per-peer limit: honest nodes never have more than 2 open. */
  'stream-flood': INVALID_MESSAGE_WEIGHT,
  /** A model stream whose 32-byte request did not arrive within the read deadline (slow-loris). */
  'slow-request': INVALID_MESSAGE_WEIGHT,
  /**
   * A sync request or answer that breaks its format (size, JSON, a peer id, an address, a
   * version's shape): a conforming peer never sends one.
   */
  'invalid-sync': INVALID_MESSAGE_WEIGHT,
  /** A ledger request or answer that breaks its format (src/protocol/ledger-wire.ts). */
  'invalid-ledger-message': INVALID_MESSAGE_WEIGHT
} as const

export type Offence = keyof typeof OFFENCE_WEIGHTS

/** Per-second decay of a penalty: as for invalid messages, a half-life of about 70 s. */
export const PENALTY_DECAY = INVALID_MESSAGE_DECAY

/**
 * Every offence of every peer in one decaying score (the sum of the weights of its offences,
 * each decayed by {@link PENALTY_DECAY} a second): gossipsub's application-specific score, and
 * on its own enough to ban a peer gossipsub does not know (one that never joined the topic).
 */
export class PeerPenalties {
  readonly #penalties = new Map<string, { score: number, at: number }>()
  readonly #onOffence: ((peerId: string) => void) | undefined

  /** @param onOffence told after each offence is counted (the ban enforcement checks the peer at once). */
  constructor (onOffence?: (peerId: string) => void) {
    this.#onOffence = onOffence
  }

  /** Count one offence against `peerId`. */
  add (peerId: string, offence: Offence, now = Date.now()): void {
    const score = this.score(peerId, now) + OFFENCE_WEIGHTS[offence]
    this.#penalties.delete(peerId)
    if (this.#penalties.size >= MAX_PENALISED_PEERS) {
      const oldest = this.#penalties.keys().next().value
      if (oldest !== undefined) this.#penalties.delete(oldest)
    }
    this.#penalties.set(peerId, { score, at: now })
    this.#onOffence?.(peerId)
  }

  /** The peer's penalty score, 0 or below. */
  score (peerId: string, now = Date.now()): number {
    const entry = this.#penalties.get(peerId)
    if (entry === undefined) return 0
    return entry.score * PENALTY_DECAY ** (Math.max(0, now - entry.at) / 1000)
  }

  /** Peers with a penalty, worst first. */
  peers (now = Date.now()): string[] {
    return [...this.#penalties.keys()].map(p => [p, this.score(p, now)] as const).filter(([, s]) => s < 0).sort((a, b) => a[1] - b[1]).map(([p]) => p)
  }
}
