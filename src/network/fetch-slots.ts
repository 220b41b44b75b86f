/**
 * A bounded number of concurrent operations per key and in total, with a bounded FIFO of
 * waiters. The drop policy is "refuse the newest": when the queue is full, acquire fails at once
 * rather than growing memory without bound.
 */
export interface FetchSlotsInit {
  /** Operations in flight per key. */
  readonly perKey: number
  /** Operations in flight in total. */
  readonly total: number
  /** Waiters queued beyond the limits; more are refused. */
  readonly maxQueued: number
}

/** Thrown by {@link FetchSlots.acquire} when the queue is full. */
export class QueueFullError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'QueueFullError'
  }
}

interface Waiter {
  readonly key: string
  readonly resolve: (release: () => void) => void
  readonly reject: (err: unknown) => void
  readonly signal: AbortSignal | undefined
  readonly onAbort: () => void
}

/** See {@link FetchSlotsInit}. Pure bookkeeping: no timers. */
export class FetchSlots {
  readonly #init: FetchSlotsInit
  readonly #byKey = new Map<string, number>()
  #total = 0
  readonly #queue: Waiter[] = []

  constructor (init: FetchSlotsInit) {
    for (const [name, value] of Object.entries(init)) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`FetchSlotsInit.${name} is ${String(value)}; a non-negative integer is allowed`)
    }
    this.#init = init
  }

  /** Operations in flight and waiting, for metrics and tests. */
  get inFlight (): number { return this.#total }
  get queued (): number { return this.#queue.length }

  /**
   * Wait for a slot for `key`; resolves with the function that gives it back (call it exactly once).
   * @throws QueueFullError when the queue is full; the signal's reason when it aborts while waiting.
   */
  async acquire (key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted()
    if (this.#free(key)) return this.#take(key)
    if (this.#queue.length >= this.#init.maxQueued) {
      throw new QueueFullError(`${this.#total} operations in flight and ${this.#queue.length} queued`)
    }
    return await new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        key,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.#queue.indexOf(waiter)
          if (at !== -1) this.#queue.splice(at, 1)
          reject(signal?.reason)
        }
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.#queue.push(waiter)
    })
  }

  #free (key: string): boolean {
    return this.#total < this.#init.total && (this.#byKey.get(key) ?? 0) < this.#init.perKey
  }

  #take (key: string): () => void {
    this.#total++
    this.#byKey.set(key, (this.#byKey.get(key) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#total--
      const left = (this.#byKey.get(key) ?? 1) - 1
      if (left === 0) this.#byKey.delete(key)
      else this.#byKey.set(key, left)
      this.#next()
    }
  }

  /** Hand freed slots to the first waiters that fit, in arrival order. */
  #next (): void {
    for (let i = 0; i < this.#queue.length && this.#total < this.#init.total;) {
      const waiter = this.#queue[i] as Waiter
      if (!this.#free(waiter.key)) { i++; continue }
      this.#queue.splice(i, 1)
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.resolve(this.#take(waiter.key))
    }
  }
}
