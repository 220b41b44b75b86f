import { ConfigError } from '../errors/index.ts'
import { SETTINGS, createStatusOutput, lockDataDir, nodeSettingsHelp, readConfigFile, resolveConfig, runDaemon } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { launcherPids, watchProcesses } from './parent-watch.ts'
import { loadRoomsOneAtATime } from './room-loading.ts'
import { STOP_DEADLINE_MS, stopOnSignals, stopWithin } from './signals.ts'
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
  // The settings are good: now the rooms a running node needs (libp2p and the rest), which
  // checking them does not.
  await loadRoomsOneAtATime()
  const log = stderrLogger(config.debug)
  const output = createStatusOutput(config.logFormat, line => process.stdout.write(line + '\n'))
  // Before the first write to the data directory: from here a signal stops gracefully, so a
  // SIGTERM while the lock is being taken leaves neither the lock nor its temporary file behind.
  const controller = stopOnSignals(log)
  // One node per data directory: a second one would sign with the same key and race on checkpoints.
  const lock = await lockDataDir(config.dataDir)
  if (controller.signal.aborted) return await lock.release()
  // Killing what the operator started (npm, npx, a swarm) stops this node too, even with SIGKILL.
  const unwatch = watchProcesses(config.parentPid > 0 ? [config.parentPid] : launcherPids(), pid => {
    log.warn(`process ${pid}, which started this node, is gone: stopping`)
    stopWithin(controller, STOP_DEADLINE_MS, log)
  })
  try {
    await runDaemon(config, output, log, controller.signal)
  } catch (err) {
    // After a stop request, a step cut short (an AbortError, a closed trainer) is the stop the
    // operator asked for, not a failure: SIGTERM exits 0. Anything else is still said.
    if (!controller.signal.aborted) throw err
    if ((err as Error | undefined)?.name !== 'AbortError') log.warn(`while stopping: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    unwatch()
    await lock.release()
  }
}
