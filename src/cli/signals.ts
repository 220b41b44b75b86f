import { EXIT_STATUS } from '../errors/index.ts'
import type { Logger } from '../round/index.ts'

/**
 * One AbortController per run: the first SIGINT/SIGTERM aborts it (a graceful stop), a second
 * one exits at once with status 130.
 */
export function stopOnSignals (log: Logger): AbortController {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log.warn(`${signal} again: exiting now`)
      process.exit(EXIT_STATUS.forcedStop)
    }
    log.info(`${signal}: stopping (send it again to force)`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller
}
