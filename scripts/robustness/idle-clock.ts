import type { RoundClock } from '../../src/round/index.ts'

interface Timer {
  readonly due: number
  readonly order: number
  readonly callback: () => void
}

/**
 * The robustness simulation's round clock: simulated time that stands still while anything else
 * can happen, and jumps to the next timer only when nothing can. Its time starts at 0 and moves
 * only when the process has no promise job and no `setImmediate` callback left but this clock's
 * own check (process.getActiveResourcesInfo() lists no other 'Immediate'): every loop and attacker
 * is then waiting on it, and the earliest timer fires (ties in the order they were set).
 *
 * A round deadline, a stand-in pause or an attacker's wait for honest models therefore runs out
 * only when what it waits for cannot come any more, never because the machine was busy: how the
 * simulation's events interleave, and so its results, no longer depend on the machine's load or
 * speed. On the wall clock (or process CPU time, scripts/scale/simulation-clock.ts) they did: at
 * load 100 an attacker's wait ran out before every honest model was in.
 *
 * It holds for a process whose only sources of events are promise jobs, `setImmediate` and this
 * clock, as the robustness simulation's (in-process network, synchronous signing, hashing,
 * training and aggregation): a socket, a file read or a wall timer it would not wait for. One
 * such clock per process at a time: two would each see the other's check and wait for ever.
 */
export class IdleClock implements RoundClock {
  #now = 0
  #order = 0
  /** Pending timers, earliest first (ties: first set first). */
  readonly #timers: Timer[] = []
  #checking = false

  now (): number {
    return this.#now
  }

  after (ms: number, callback: () => void): () => void {
    const timer: Timer = { due: this.#now + Math.max(0, ms), order: this.#order++, callback }
    const at = this.#timers.findIndex(t => t.due > timer.due)
    this.#timers.splice(at === -1 ? this.#timers.length : at, 0, timer)
    this.#watch()
    return () => {
      const index = this.#timers.indexOf(timer)
      if (index !== -1) this.#timers.splice(index, 1)
    }
  }

  /** Timers not yet fired nor cancelled. */
  get pending (): number {
    return this.#timers.length
  }

  #watch (): void {
    if (this.#checking || this.#timers.length === 0) return
    this.#checking = true
    setImmediate(() => { this.#check() })
  }

  /**
   * Runs after the promise jobs and the callbacks queued before it; fires the earliest timer if
   * no other callback is queued by then, else looks again after them.
   */
  #check (): void {
    this.#checking = false
    if (process.getActiveResourcesInfo().includes('Immediate')) {
      this.#watch()
      return
    }
    const timer = this.#timers.shift()
    if (timer === undefined) return
    this.#now = Math.max(this.#now, timer.due)
    this.#watch()
    timer.callback()
  }
}
