import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ConfigError } from '../errors/index.ts'
import { SETTINGS, aggregatorFor, boolean, initDataDir, nodeSettingsHelp, readManifestFile, resolveConfig, resolveSettings } from '../node/index.ts'
import type { RawValue, Setting } from '../node/index.ts'
import { DEFAULT_MANIFEST } from '../protocol/index.ts'
import { parseCommandLine } from './args.ts'

/** Options of `init` that are not node settings (not written to config.json). */
const INIT_OPTIONS = {
  manifest: {
    kind: 'string', default: undefined as string | undefined, defaultText: 'the built-in MNIST network', arg: 'FILE', allowed: 'a manifest JSON file',
    help: 'the network\'s manifest', parse: (raw: string) => raw, persistent: false
  },
  closed: {
    kind: 'boolean', default: false, defaultText: 'off', allowed: 'on or off', persistent: false, parse: boolean,
    help: 'generate a new network key (pre-shared key) in DIR/network.key, mode 0600: only nodes holding it can connect; share the file with the members'
  },
  networkKey: {
    kind: 'string', default: undefined as string | undefined, defaultText: 'none', arg: 'FILE', allowed: 'a network key file', persistent: false,
    help: 'join a closed network: copy its key file to DIR/network.key, mode 0600',
    parse: (raw: string) => { if (raw === '') throw new Error('the path of a key file'); return raw }
  }
} as const satisfies Record<string, Setting<unknown>>

const HELP = `usage: meshtrain init --data-dir DIR [--manifest FILE] [--closed | --network-key FILE] [settings...]

Creates a node's data directory: identity.key (mode 0600, never overwritten), config.json with the
settings given, manifest.json.

`

/** `meshtrain init`: create a node's data directory. */
export async function initCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, { ...SETTINGS, ...INIT_OPTIONS })
  if (help) return void process.stdout.write(`${HELP}${nodeSettingsHelp()}\n`)
  const initFlags = Object.fromEntries(Object.entries(flags).filter(([name]) => Object.hasOwn(INIT_OPTIONS, name)))
  const settingFlags = Object.fromEntries(Object.entries(flags).filter(([name]) => !Object.hasOwn(INIT_OPTIONS, name)))
  const options = resolveSettings(INIT_OPTIONS, { flags: initFlags })
  // Every setting is parsed now, so a bad one is refused before anything is written.
  const config = resolveConfig({ flags: settingFlags })
  if (config.dataDir === '') throw new ConfigError('dataDir', '--data-dir is required')
  if (options.closed && options.networkKey !== undefined) {
    throw new ConfigError('networkKey', '--closed makes a new network key and --network-key imports one: give one of them')
  }
  const manifest = options.manifest === undefined ? DEFAULT_MANIFEST : await readManifestFile(options.manifest)
  aggregatorFor(manifest)
  // libp2p's room only for a closed network: a plain init stays quick.
  const network = options.closed || options.networkKey !== undefined ? await import('../network/index.ts') : undefined
  if (options.networkKey !== undefined) await network?.readNetworkKeyFile(options.networkKey)

  // config.json keeps the settings given, in their JSON form, minus the data directory itself.
  const stored = Object.fromEntries(Object.entries(settingFlags).filter(([name]) => name !== 'dataDir').map(([name, raw]) => [name, jsonForm(name, raw)]))
  const key = await initDataDir(config.dataDir, stored, manifest)
  process.stdout.write(`created node ${peerIdFromPrivateKey(key).toString()} in ${config.dataDir}\n`)
  if (network !== undefined) {
    const networkKey = await network.createNetworkKey(config.dataDir, options.networkKey)
    // The fingerprint only: the key itself is never printed or logged.
    process.stdout.write(`${options.networkKey === undefined ? 'created' : 'imported'} network key ${join(config.dataDir, network.NETWORK_KEY_FILE)} (mode 0600), fingerprint ${networkKey.fingerprint}\n`)
  }
}

/** A flag's raw value as config.json holds it: numbers for integers, arrays for lists. */
function jsonForm (name: string, raw: RawValue): RawValue {
  const kind = SETTINGS[name as keyof typeof SETTINGS].kind
  if (kind === 'integer' && typeof raw === 'string') return Number(raw)
  if (kind === 'list' && typeof raw === 'string') return [raw]
  return raw
}
