/** Where a component's log lines go; the daemon writes them to stderr, tests collect or drop them. */
export interface Logger {
  info (message: string): void
  warn (message: string): void
  debug (message: string): void
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info () {}, warn () {}, debug () {} }
