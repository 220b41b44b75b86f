/**
 * The time a round loop goes by: when a round started, its deadline, the pauses between repeats
 * of an announcement and before stand-ins. A daemon's is the wall clock ({@link wallClock}); a
 * simulation that runs a thousand peers' loops in one process may hand them a clock of its own
 * work (scripts/scale/simulation-clock.ts), so that what other processes on the machine take from
 * it does not run the simulated network's deadlines out.
 */
export interface RoundClock {
  /** The current time, ms. */
  now (): number
  /** Call `callback` once `ms` have passed on this clock (never before `after` returns); returns what cancels it. */
  after (ms: number, callback: () => void): () => void
}

/** Date.now and setTimeout. */
export const wallClock: RoundClock = {
  now: () => Date.now(),
  after: (ms, callback) => {
    const timer = setTimeout(callback, ms)
    return () => { clearTimeout(timer) }
  }
}
