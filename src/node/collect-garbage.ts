import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * A full garbage collection of this thread's heap, which the daemon runs after recording a round
 * (at most every {@link MIN_COLLECTION_INTERVAL_MS}). A round leaves dead copies of models behind
 * (fetched payloads, their decoded weights, the trainer's results): about 200 KB each for the
 * default MNIST model, held outside V8's heap. V8 collects its old generation when that heap
 * grows, and counts memory outside it as pressure only from 64 MiB on: in a 16-daemon swarm a
 * daemon's main thread held 9 to 12 MiB of dead array buffers by round 10 (process.memoryUsage()).
 * The collection takes tens of milliseconds (a heap of about 30 MiB). The daemon turns it on
 * itself (`gc` of a fresh context once V8's `--expose-gc` is set), so it needs no option from
 * whoever starts the process.
 */
setFlagsFromString('--expose-gc')
export const collectGarbage = runInNewContext('gc') as () => void

/**
 * Least time between two collections: rounds of a second or less (a small swarm's on loopback)
 * would otherwise spend a few percent of their CPU collecting; rounds longer than this (a large
 * swarm's) still collect after every round.
 */
export const MIN_COLLECTION_INTERVAL_MS = 5_000

/**
 * Growth of the resident set since the last collection that makes the daemon collect before its
 * round ends, bytes. A round of a 50-daemon swarm lasts about a minute; in two of four such swarms
 * one daemon's resident set rose about 15 MiB above its level late in the run and fell back only
 * at a collection. A round of a small swarm raises it 5 to 7 MiB.
 */
export const COLLECTION_GROWTH_BYTES = 8 * 1024 * 1024

/** How often the daemon compares its resident set with the level the last collection left, ms. */
export const GROWTH_CHECK_INTERVAL_MS = 1_000

export interface GarbageCollectorInit {
  readonly collect?: () => void
  /** The process's resident set, bytes. */
  readonly residentBytes?: () => number
  /** Milliseconds, monotonic. */
  readonly now?: () => number
  readonly minIntervalMs?: number
  readonly growthBytes?: number
}

/**
 * When the daemon collects its main thread's garbage: after recording a round, and between
 * rounds once the resident set has grown {@link COLLECTION_GROWTH_BYTES} beyond the level the last
 * collection left; never twice within {@link MIN_COLLECTION_INTERVAL_MS}.
 */
export class GarbageCollector {
  readonly #collect: () => void
  readonly #residentBytes: () => number
  readonly #now: () => number
  readonly #minIntervalMs: number
  readonly #growthBytes: number
  #lastAt = -Infinity
  #level: number

  constructor (init: GarbageCollectorInit = {}) {
    this.#collect = init.collect ?? collectGarbage
    this.#residentBytes = init.residentBytes ?? (() => process.memoryUsage.rss())
    this.#now = init.now ?? (() => performance.now())
    this.#minIntervalMs = init.minIntervalMs ?? MIN_COLLECTION_INTERVAL_MS
    this.#growthBytes = init.growthBytes ?? COLLECTION_GROWTH_BYTES
    this.#level = this.#residentBytes()
  }

  /** After a round: collect unless the last collection was too recent. Says whether it collected. */
  afterRound (): boolean {
    return this.#collectIfDue()
  }

  /** Between rounds: collect if the resident set has grown enough since the last collection. Says whether it collected. */
  onGrowth (): boolean {
    return this.#residentBytes() - this.#level >= this.#growthBytes && this.#collectIfDue()
  }

  #collectIfDue (): boolean {
    const at = this.#now()
    if (at - this.#lastAt < this.#minIntervalMs) return false
    this.#lastAt = at
    this.#collect()
    this.#level = this.#residentBytes()
    return true
  }
}
