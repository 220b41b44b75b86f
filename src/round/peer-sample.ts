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

  /** Whether this peer's model is fetched this round; while filling first-come, admitting counts. */
  admit (peerId: string): boolean {
    if (this.#chosen.has(peerId)) return true
    if (this.#drawn || this.#chosen.size >= this.#size) return false
    this.#chosen.add(peerId)
    return true
  }

  /** Peers the round waits for: the sample size. */
  get size (): number { return this.#size }
}
