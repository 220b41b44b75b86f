import { EXIT_STATUS } from '../errors/index.ts'
import { endEarlySignals } from './early-signals.ts'
import type { Logger } from '../round/index.ts'

/**
 * Longest a graceful stop may take, ms. Past it the process exits 0 anyway: checkpoints are
 * written atomically, so nothing is lost that a stop at any other moment would keep, and an
 * operator's (or a supervisor's) SIGTERM must end the node within 5 s whatever is running.
 */
export const STOP_DEADLINE_MS = 4000

/**
 * One AbortController per run: the first SIGINT/SIGTERM aborts it (a graceful stop, cut off with
 * status 0 after {@link STOP_DEADLINE_MS}), a second one exits at once with status 130.
 */
export function stopOnSignals (log: Logger): AbortController {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log.warn(`${signal} again: exiting now`)
      process.exit(EXIT_STATUS.forcedStop)
    }
    log.info(`${signal}: stopping (send it again to force)`)
    stopWithin(controller, STOP_DEADLINE_MS, log)
  }
  endEarlySignals()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller
}

/** Abort `controller` and exit 0 if the process is still running `ms` later. */
export function stopWithin (controller: AbortController, ms: number, log: Logger): void {
  // unref: a stop that finishes in time exits on its own, without waiting for this timer.
  setTimeout(() => {
    log.warn(`the graceful stop took more than ${ms} ms: exiting now`)
    process.exit(EXIT_STATUS.ok)
  }, ms).unref()
  controller.abort()
}
