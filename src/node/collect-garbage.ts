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
 * A function that runs `collect` when at least `intervalMs` have passed since it last did (by
 * `now`, in milliseconds), and says whether it ran.
 */
export function collectAtMostEvery (intervalMs: number, collect: () => void = collectGarbage, now: () => number = () => performance.now()): () => boolean {
  let last = -Infinity
  return () => {
    const at = now()
    if (at - last < intervalMs) return false
    last = at
    collect()
    return true
  }
}
