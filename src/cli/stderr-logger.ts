import type { Logger } from '../round/index.ts'

/** Operator log lines on stderr, ISO-timestamped; debug lines only when `debug` is set. */
export function stderrLogger (debug: boolean): Logger {
  const line = (level: string, message: string): void => { process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`) }
  return {
    info: m => line('info', m),
    warn: m => line('warn', m),
    debug: m => { if (debug) line('debug', m) }
  }
}
