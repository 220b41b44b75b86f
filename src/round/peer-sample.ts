import type { Rng } from '../model/index.ts'

/**
 * The peers whose models a node fetches in one round when the manifest sets `rounds.fanout` = k
 * (docs/design.md, scale mode; Epidemic Learning / RPEL-style pulls): k of the peers it knows, drawn
 * uniformly with a seeded generator. While it knows fewer than k peers (the first rounds), the
 * first k distinct announcers are admitted instead.
 */
export class PeerSample {
  readonly #chosen: Set<string>
  readonly #size: number
  readonly #drawn: boolean
  /** Stand-ins admitted beyond the sample, first-come, for sampled peers that are late. */
  #standIns = 0

  /** @param known peers this node has heard announce, in any order (sorted here, for determinism). */
  constructor (known: Iterable<string>, size: number, rng: Rng) {
    const pool = [...known].sort()
    this.#size = size
    this.#drawn = pool.length >= size
    this.#chosen = new Set()
    if (this.#drawn) {
      // Partial Fisher-Yates: the first `size` entries are a uniform sample without replacement.
      for (let i = 0; i < size; i++) {
        const j = i + rng.int(pool.length - i)
        const swap = pool[i] as string
        pool[i] = pool[j] as string
        pool[j] = swap
        this.#chosen.add(pool[i] as string)
      }
    }
  }

  /** Whether this peer's model is fetched this round; while filling first-come (or standing in), admitting counts. */
  admit (peerId: string): boolean {
    if (this.#chosen.has(peerId)) return true
    if (this.#chosen.size >= this.#size + this.#standIns) return false
    this.#chosen.add(peerId)
    return true
  }

  /** Whether this peer has been admitted (sampled, or first-come). */
  includes (peerId: string): boolean { return this.#chosen.has(peerId) }

  /**
   * Let `count` more peers than the sample in, first-come: stand-ins for sampled peers whose
   * models are late. Repeated calls do not add up; the largest count holds.
   */
  standIn (count: number): void {
    this.#standIns = Math.max(this.#standIns, count)
  }

  /** Peers the round waits for: the sample size. */
  get size (): number { return this.#size }
}
