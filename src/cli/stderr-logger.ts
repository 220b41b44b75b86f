import { pino } from 'pino'
import type { LogFields, Logger } from '../round/index.ts'

/**
 * Operator log lines on stderr: on a terminal, one readable line each (time, level, component,
 * message); otherwise pino's JSON lines (`time`, `level`, `msg`, and `round`, `peer`, `component`
 * when known) for journald, Loki and friends. Debug lines only when `debug` is set.
 */
export function stderrLogger (debug: boolean, terminal = process.stderr.isTTY): Logger {
  return terminal ? textLogger(debug) : jsonLogger(debug)
}

function textLogger (debug: boolean): Logger {
  const line = (level: string, message: string, fields: LogFields | undefined): void => {
    const component = fields?.component === undefined ? '' : ` [${fields.component}]`
    process.stderr.write(`${new Date().toISOString()} ${level}${component} ${message}\n`)
  }
  return {
    info: (m, f) => { line('info', m, f) },
    warn: (m, f) => { line('warn', m, f) },
    debug: (m, f) => { if (debug) line('debug', m, f) }
  }
}

function jsonLogger (debug: boolean): Logger {
  // Synchronous writes: a line written just before the process exits is not lost.
  const log = pino({ level: debug ? 'debug' : 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }))
  return {
    info: (m, f) => { log.info(f ?? {}, m) },
    warn: (m, f) => { log.warn(f ?? {}, m) },
    debug: (m, f) => { log.debug(f ?? {}, m) }
  }
}
