import { INVALID_PAYLOAD_DECAY, INVALID_PAYLOAD_WEIGHT } from './gossip-scoring.ts'

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
