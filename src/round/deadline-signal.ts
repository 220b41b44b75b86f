/** Longest timer Node keeps, ms (2^31 - 1, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A signal for one request: aborted by its caller's signals or by its own timer, released when the request ends. */
export interface DeadlineSignal {
  readonly signal: AbortSignal
  /** True once the timer, not a parent, aborted the signal. */
  readonly timedOut: boolean
  /** Stop the timer and stop listening to the parents; call it when the request ends, however it ends. */
  clear (): void
}

/**
 * A signal that aborts when any of `parents` aborts (with its reason) or after `ms` of wall time
 * (with a `TimeoutError` DOMException, as `AbortSignal.timeout` does), for the many short requests a
 * long-lived node makes under its run's signal.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node 22 (22.23.3 measured) keeps every
 * such combined signal in a set of its own (`gcPersistentSignals`) until its timer fires, and for
 * ever after that when one of its parents lives on (https://github.com/nodejs/node/issues/64476,
 * fixed by nodejs/node#64481, not in Node 22): about 1.7 KiB a call that no collection frees. A
 * daemon makes such a call for every model it fetches or serves; the 1,000-peer simulation made
 * 8,000 a round and its protocol CPU per node-round grew from 16.7 ms over 12 rounds to 29.9 ms over
 * 50 (docs/design.md, "Scale"). Here the caller clears the timer and removes its listeners, and the
 * signal is garbage like any other object.
 *
 * @param ms wall time before the signal aborts, ms (a non-negative integer; beyond about 24.8 days, 24.8 days)
 * @throws RangeError when `ms` is not a non-negative integer
 */
export function deadlineSignal (ms: number, parents: ReadonlyArray<AbortSignal | undefined> = []): DeadlineSignal {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`ms is ${ms}; a non-negative integer is allowed`)
  const controller = new AbortController()
  let timedOut = false
  const listening = parents.filter(p => p !== undefined)
  const onParentAbort = (event: Event): void => {
    clear()
    controller.abort((event.target as AbortSignal).reason)
  }
  const clear = (): void => {
    clearTimeout(timer)
    for (const parent of listening) parent.removeEventListener('abort', onParentAbort)
  }
  const timer = setTimeout(() => {
    timedOut = true
    clear()
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
  }, Math.min(ms, MAX_TIMER_MS))
  // Like AbortSignal.timeout's timer: a pending request's deadline alone does not keep the process up.
  timer.unref()
  const aborted = listening.find(p => p.aborted)
  if (aborted !== undefined) {
    clear()
    controller.abort(aborted.reason)
  } else {
    for (const parent of listening) parent.addEventListener('abort', onParentAbort, { once: true })
  }
  return {
    signal: controller.signal,
    get timedOut () { return timedOut },
    clear
  }
}
