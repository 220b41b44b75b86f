/**
 * Structured context of a log line: which round, which peer, which component. A sink that writes
 * JSON (the daemon's, off a terminal) puts each field in the line's object; a text sink may show
 * the component and leave the rest to the message.
 */
export interface LogFields {
  readonly round?: number
  /** Base58 peer id the line is about. */
  readonly peer?: string
  /** The part of the node that writes the line: `node`, `round`, `network`, ... */
  readonly component?: string
}

/** Where a component's log lines go; the daemon writes them to stderr, tests collect or drop them. */
export interface Logger {
  info (message: string, fields?: LogFields): void
  warn (message: string, fields?: LogFields): void
  debug (message: string, fields?: LogFields): void
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info () {}, warn () {}, debug () {} }

/** `log` with `component` added to every line's fields (a component the line already names wins). */
export function componentLogger (log: Logger, component: string): Logger {
  return {
    info: (m, f) => { log.info(m, { component, ...f }) },
    warn: (m, f) => { log.warn(m, { component, ...f }) },
    debug: (m, f) => { log.debug(m, { component, ...f }) }
  }
}
