/**
 * Imported first by main.ts, so it runs before the other modules (libp2p and the rest take about
 * a second to load): until a command installs its own stop handling (stopOnSignals), SIGINT and
 * SIGTERM end the process at once with status 0, since nothing has started that needs stopping.
 */
import { EXIT_STATUS } from '../errors/index.ts'

function exitAtOnce (): void {
  process.exit(EXIT_STATUS.ok)
}

process.on('SIGINT', exitAtOnce)
process.on('SIGTERM', exitAtOnce)

/** Hand SIGINT/SIGTERM over to the command's own stop handling. Idempotent. */
export function endEarlySignals (): void {
  process.off('SIGINT', exitAtOnce)
  process.off('SIGTERM', exitAtOnce)
}
