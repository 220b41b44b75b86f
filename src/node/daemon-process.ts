/**
 * Node and V8 options of a daemon process, for whatever starts one (`meshtrain swarm`, the
 * systemd unit in deploy/). They bound the memory of the two JavaScript threads a daemon runs
 * (the main thread with libp2p, the trainer's worker with tfjs) and must be given when the
 * process starts: V8's heap layout and thread pool cannot change later. `npm run bench:memory`
 * measures a daemon's peak resident memory with them (the README has the figures).
 *
 * - `--max-semi-space-size=1`: V8's young generation lets each of its two semi-spaces grow to
 *   16 MiB in each thread; 1 MiB is plenty for libp2p messages and tfjs tensor wrappers, which
 *   are small and short-lived, and keeps up to 60 MiB of mostly empty pages out of memory.
 * - `--v8-pool-size=1`: one V8 platform thread (concurrent garbage collection and compilation)
 *   instead of one per core: a daemon shares its host with the training in its worker and often
 *   with other daemons, and every platform thread brings its own stack and malloc arena.
 * - `--optimize-for-size`: V8 trades some speed of optimised JavaScript for smaller code and
 *   heaps; the training runs in WebAssembly (or native code), which this does not touch.
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = Object.freeze(['--max-semi-space-size=1', '--v8-pool-size=1', '--optimize-for-size'])

/**
 * Environment of a daemon process, added to the inherited one; read by glibc's malloc, ignored by
 * other C libraries.
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc arena (main
 *   thread, trainer worker, V8 and libuv pool threads), each keeping freed memory resident; two
 *   are enough for a process whose JavaScript runs in two threads.
 * - `MALLOC_MMAP_THRESHOLD_=65536`: blocks of 64 KiB and more (models, data, payloads) are mapped
 *   on their own and returned to the system when freed; smaller ones come from the arenas, which
 *   keep freed memory resident. By default glibc raises this threshold after the first such block
 *   is freed, after which freed models stay resident. At 32 KiB, blocks of just over 32 KiB were
 *   mapped and unmapped over a hundred times a second in each daemon: a 3-daemon swarm of 45
 *   rounds took 43.13 to 49.15 CPU s of the machine (four runs) against 40.73 and 42.32 at 64 KiB
 *   (two), for the same peak memory (`npm run bench:memory`: 144.0 MiB at 32 KiB, 144.2 at 64 KiB,
 *   whose 16-daemon swarm ran 6.9 rounds a minute against 4.0).
 */
export const DAEMON_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' })
