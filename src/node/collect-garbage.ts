import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * A full garbage collection of this thread's heap, which the daemon runs once a round, after
 * recording it. A round leaves dead copies of models behind (fetched payloads, their decoded
 * weights, the trainer's results): about 200 KB each for the default MNIST model, held outside
 * V8's heap. V8 collects its old generation when that heap grows, and counts memory outside it
 * as pressure only from 64 MiB on: in a 16-daemon swarm a daemon's main thread held 9 to 12 MiB
 * of dead array buffers by round 10 (process.memoryUsage()). The collection takes tens of
 * milliseconds (a heap of about 30 MiB) against rounds of seconds. The daemon turns it on itself
 * (`gc` of a fresh context once V8's `--expose-gc` is set), so it needs no option from whoever
 * starts the process.
 */
setFlagsFromString('--expose-gc')
export const collectGarbage = runInNewContext('gc') as () => void
