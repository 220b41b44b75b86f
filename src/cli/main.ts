#!/usr/bin/env node
/**
 * The `meshtrain` command: init a node's data directory, start the daemon, or run a local swarm.
 * Exit status: 0 done, 1 failure, 2 bad setting or file (the message names it), 130 forced stop.
 */
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AggregationSpecError } from '../aggregation/index.ts'
import { BackendUnavailableError, DatasetError, PartitionError } from '../model/index.ts'
import { DEFAULT_MANIFEST, ManifestError } from '../protocol/index.ts'
import { parseArgs } from './args.ts'
import type { FlagKind } from './args.ts'
import { CheckpointError } from '../node/index.ts'
import { ConfigError, SETTINGS, envName, flagName, resolveConfig, settingsHelp } from '../node/index.ts'
import { aggregatorFor, runDaemon } from '../node/index.ts'
import { initDataDir, readConfigFile, readManifestFile } from '../node/index.ts'
import { NETWORK_KEY_FILE, createNetworkKey, readNetworkKeyFile } from '../network/index.ts'
import type { Logger } from '../round/index.ts'
import { createStatusOutput } from '../node/index.ts'
import { SWARM_FLAGS, runSwarm, swarmHelp } from './swarm.ts'

const USAGE = `usage: meshtrain <command> [options]

commands:
  init --data-dir DIR [--manifest FILE] [--closed | --network-key FILE] [settings...]
                                                         create a node: identity key, config.json, manifest.json
                                                         (--closed: a new network key; --network-key: import the consortium's)
  start --data-dir DIR [settings...]                     run the node (see meshtrain start --help)
  swarm [--nodes N] [--rounds R] [...]                   run a local swarm of real daemons (see meshtrain swarm --help)
`

/** Flags of `start`, and of `init` (which writes them to config.json), derived from the settings table. */
function settingFlags (): Record<string, FlagKind> {
  const flags: Record<string, FlagKind> = { help: 'boolean' }
  for (const [name, spec] of Object.entries(SETTINGS)) flags[flagName(name).slice(2)] = spec.kind === 'boolean' ? 'boolean' : 'value'
  return flags
}

/** `data-dir` -> `dataDir`. */
function settingName (flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

function settingsFromFlags (flags: Record<string, string | boolean>): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(flags).filter(([f]) => !INIT_ONLY_FLAGS.includes(f)).map(([f, v]) => [settingName(f), v]))
}

/** Flags of `init` that are not settings (not written to config.json). */
const INIT_ONLY_FLAGS = ['help', 'manifest', 'closed', 'network-key']

const INIT_HELP = `usage: meshtrain init --data-dir DIR [--manifest FILE] [--closed | --network-key FILE] [settings...]

  --manifest FILE      the network's manifest (default: the built-in MNIST network)
  --closed             generate a new network key (pre-shared key) in DIR/network.key, mode 0600:
                       only nodes holding the same key can connect; share the file with the members
  --network-key FILE   join a closed network: copy its key file to DIR/network.key, mode 0600

settings (written to config.json):
`

async function init (argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, { ...settingFlags(), manifest: 'value', closed: 'boolean', 'network-key': 'value' })
  if (flags.help === true) return void console.log(`${INIT_HELP}${settingsHelp()}`)
  if (flags.closed === true && flags['network-key'] !== undefined) {
    throw new ConfigError('networkKey', '--closed makes a new network key and --network-key imports one: give one of them')
  }
  if (flags['network-key'] === true || flags['network-key'] === '') throw new ConfigError('networkKey', '--network-key needs the path of a key file')
  const settings = settingsFromFlags(flags)
  const { dataDir, ...config } = resolveConfig({ flags: settings })
  if (dataDir === '') throw new ConfigError('dataDir', '--data-dir is required')
  const manifest = typeof flags.manifest === 'string' ? await readManifestFile(flags.manifest) : DEFAULT_MANIFEST
  aggregatorFor(manifest)
  // config.json keeps the settings given, as typed values, minus the data directory itself.
  const stored = Object.fromEntries(Object.keys(settings).filter(k => k !== 'dataDir').map(k => [k, config[k as keyof typeof config]]))
  // A bad key file to import is refused before anything is written.
  if (typeof flags['network-key'] === 'string') await readNetworkKeyFile(flags['network-key'])
  const key = await initDataDir(dataDir, stored, manifest)
  console.log(`created node ${peerIdFromPrivateKey(key).toString()} in ${dataDir}`)
  const importFrom = flags['network-key']
  if (flags.closed === true || typeof importFrom === 'string') {
    const networkKey = await createNetworkKey(dataDir, typeof importFrom === 'string' ? importFrom : undefined)
    // The fingerprint only: the key itself is never printed or logged.
    console.log(`${typeof importFrom === 'string' ? 'imported' : 'created'} network key ${join(dataDir, NETWORK_KEY_FILE)} (mode 0600), fingerprint ${networkKey.fingerprint}`)
  }
}

async function start (argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, settingFlags())
  if (flags.help === true) return void console.log(`usage: meshtrain start --data-dir DIR [settings...]\n\nSettings, lowest precedence first: defaults, <data-dir>/config.json, environment, flags.\n\n${settingsHelp()}`)
  const fromFlags = settingsFromFlags(flags)
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MESHTRAIN_')))
  const dataDir = (fromFlags.dataDir as string | undefined) ?? env[envName('dataDir')]
  if (dataDir === undefined || dataDir === '') throw new ConfigError('dataDir', '--data-dir is required (or MESHTRAIN_DATA_DIR)')
  const config = resolveConfig({ file: await readConfigFile(dataDir), env, flags: fromFlags })
  const log = stderrLogger()
  const output = createStatusOutput(config.logFormat, line => process.stdout.write(line + '\n'))
  const controller = stopOnSignals(log)
  await runDaemon(config, output, log, controller.signal)
}

function stderrLogger (): Logger {
  const debug = process.env.MESHTRAIN_DEBUG === '1'
  return {
    info: m => process.stderr.write(`${new Date().toISOString()} info ${m}\n`),
    warn: m => process.stderr.write(`${new Date().toISOString()} warn ${m}\n`),
    debug: m => { if (debug) process.stderr.write(`${new Date().toISOString()} debug ${m}\n`) }
  }
}

/** First SIGINT/SIGTERM: stop gracefully; second: exit at once. */
function stopOnSignals (log: Logger): AbortController {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log.warn(`${signal} again: exiting now`)
      process.exit(130)
    }
    log.info(`${signal}: stopping (send it again to force)`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller
}

async function main (argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'init': return init(rest)
    case 'start': return start(rest)
    case 'swarm': {
      const { flags } = parseArgs(rest, SWARM_FLAGS)
      if (flags.help === true) return void console.log(swarmHelp())
      return runSwarm(flags, stopOnSignals(stderrLogger()).signal)
    }
    case undefined: case 'help': case '--help': case '-h':
      return void console.log(USAGE)
    default:
      throw new ConfigError('command', `unknown command ${JSON.stringify(command)}; commands: init, start, swarm`)
  }
}

const USAGE_ERRORS = [ConfigError, ManifestError, AggregationSpecError, DatasetError, PartitionError, BackendUnavailableError, CheckpointError]

main(process.argv.slice(2)).then(() => {
  // Handles such as tfjs's wasm runtime may linger; the work is done.
  process.exit(0)
}, (err: unknown) => {
  if (USAGE_ERRORS.some(type => err instanceof type)) {
    console.error(`meshtrain: ${(err as Error).message}`)
    process.exit(2)
  }
  console.error('meshtrain: failed:', err)
  process.exit(1)
})
