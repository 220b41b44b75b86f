import { ConfigError } from '../errors/index.ts'
import { SETTINGS, createStatusOutput, nodeSettingsHelp, readConfigFile, resolveConfig, runDaemon } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { stopOnSignals } from './signals.ts'
import { stderrLogger } from './stderr-logger.ts'

const HELP = `usage: meshtrain start --data-dir DIR [settings...]

Runs the node until SIGINT/SIGTERM (or --rounds). Settings, lowest precedence first: built-in
defaults, <data-dir>/config.json, MESHTRAIN_* environment variables, flags.

`

/** `meshtrain start`: resolve the settings once, then run the daemon until stopped. */
export async function startCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, SETTINGS)
  if (help) return void process.stdout.write(`${HELP}${nodeSettingsHelp()}\n`)
  const env = process.env
  const dataDir = flags.dataDir ?? env.MESHTRAIN_DATA_DIR
  if (typeof dataDir !== 'string' || dataDir === '') throw new ConfigError('dataDir', '--data-dir is required (or MESHTRAIN_DATA_DIR)')
  const config = resolveConfig({ file: await readConfigFile(dataDir), env, flags })
  const log = stderrLogger(config.debug)
  const output = createStatusOutput(config.logFormat, line => process.stdout.write(line + '\n'))
  const controller = stopOnSignals(log)
  try {
    await runDaemon(config, output, log, controller.signal)
  } catch (err) {
    // A step cut short by the stop signal is the stop the operator asked for, not a failure.
    if (controller.signal.aborted && (err as Error | undefined)?.name === 'AbortError') return
    throw err
  }
}
