import { parseAttack } from '../adversary/index.ts'
import { ConfigError } from '../errors/index.ts'

export { ConfigError }

/**
 * Operator settings of a daemon: one table, resolved once at start-up into a frozen object,
 * from defaults < <data-dir>/config.json < MESHTRAIN_* environment < command-line flags.
 */

type Kind = 'string' | 'integer' | 'boolean' | 'list' | { readonly oneOf: readonly string[] }

interface SettingSpec {
  readonly kind: Kind
  readonly default: string | number | boolean | readonly string[]
  readonly help: string
  /** Extra check on a parsed value; returns what is allowed when the value is bad. */
  readonly check?: (value: never) => string | undefined
}

/** Every operator setting, its type, default and meaning: the source of `--help` too. */
export const SETTINGS = {
  dataDir: { kind: 'string', default: '', help: 'directory holding identity.key, config.json, manifest.json and checkpoints/ (required)' },
  listen: { kind: 'list', default: ['/ip4/0.0.0.0/tcp/7171'], help: 'multiaddrs to listen on, comma-separated', check: (v: readonly string[]) => v.every(a => a.startsWith('/ip4/') || a.startsWith('/ip6/')) ? undefined : 'multiaddrs such as /ip4/127.0.0.1/tcp/7171' },
  bootstrap: { kind: 'list', default: [], help: 'peers to dial at start, /ip4/.../tcp/.../p2p/<peer-id>, comma-separated', check: (v: readonly string[]) => v.every(a => a.includes('/p2p/')) ? undefined : 'multiaddrs ending in /p2p/<peer-id>' },
  mdns: { kind: 'boolean', default: true, help: 'find peers on the local network with mDNS' },
  data: { kind: 'string', default: 'mnist', help: 'training data: mnist (built in), idx:DIR, or csv:FILE:LABEL_COLUMN' },
  shard: { kind: 'string', default: '0/1', help: 'which part of the data this node trains on, INDEX/COUNT (for swarms and experiments)', check: (v: string) => parseShard(v) === undefined ? 'INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/1 or 2/4' : undefined },
  partition: { kind: 'string', default: 'iid', help: 'how the data is split into shards: iid or dirichlet:ALPHA', check: (v: string) => /^(iid|dirichlet:(\d+(\.\d*)?|\.\d+))$/.test(v) && v !== 'dirichlet:0' ? undefined : 'iid or dirichlet:ALPHA with ALPHA > 0' },
  dataSeed: { kind: 'integer', default: 1, help: 'seed of the data split and of mini-batch sampling' },
  rounds: { kind: 'integer', default: 0, help: 'stop after this many rounds (0: run until stopped)' },
  backend: { kind: { oneOf: ['auto', 'tensorflow', 'wasm', 'cpu'] }, default: 'auto', help: 'TensorFlow.js backend; auto tries tensorflow, then wasm, then cpu' },
  logFormat: { kind: { oneOf: ['text', 'json'] }, default: 'text', help: 'status lines as text or as one JSON object per line' },
  attack: { kind: 'string', default: 'none', help: 'testers only: make this node a Byzantine attacker, NAME[:k=v,...] (meshtrain swarm --help lists the attacks)', check: (v: string) => attackProblem(v) },
  colluders: { kind: 'list', default: [], help: 'testers only, with --attack: peer ids of all the attacking nodes, which do not wait for each other\'s models' }
} as const satisfies Record<string, SettingSpec>

export type SettingName = keyof typeof SETTINGS

type ValueOf<K extends Kind> = K extends 'string' ? string : K extends 'integer' ? number : K extends 'boolean' ? boolean : K extends 'list' ? readonly string[] : K extends { readonly oneOf: readonly (infer U)[] } ? U : never

/** The resolved, validated settings. */
export type NodeConfig = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]['kind']> }

/** Where a value came from, for error messages. */
export type Source = 'config file' | 'environment' | 'flag'

/** `dataDir` -> `--data-dir`. */
export function flagName (setting: string): string {
  return '--' + setting.replace(/[A-Z]/g, c => '-' + c.toLowerCase())
}

/** `dataDir` -> `MESHTRAIN_DATA_DIR`. */
export function envName (setting: string): string {
  return 'MESHTRAIN_' + setting.replace(/[A-Z]/g, c => '_' + c).toUpperCase()
}

/** Layers of raw values, lowest precedence first. */
export interface ConfigLayers {
  /** Parsed JSON of config.json (already an object), or undefined when there is none. */
  readonly file?: unknown
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Raw flag values by setting name; booleans as true/false from `--x` / `--no-x`. */
  readonly flags?: Readonly<Record<string, string | boolean>>
}

/**
 * Merge and validate the layers. Pure: the caller reads files, environment and argv.
 * @throws ConfigError naming the setting, the value, its source and what is allowed.
 */
export function resolveConfig (layers: ConfigLayers): NodeConfig {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) out[name] = spec.default

  if (layers.file !== undefined) {
    if (layers.file === null || typeof layers.file !== 'object' || Array.isArray(layers.file)) {
      throw new ConfigError('config.json', 'config.json: expected a JSON object of settings')
    }
    for (const [name, raw] of Object.entries(layers.file)) {
      const spec = settingSpec(name, 'config file')
      out[name] = fromJson(name, spec, raw)
    }
  }
  for (const [key, raw] of Object.entries(layers.env ?? {})) {
    if (!key.startsWith('MESHTRAIN_') || raw === undefined) continue
    const name = Object.keys(SETTINGS).find(n => envName(n) === key)
    if (name === undefined) throw new ConfigError(key, `environment ${key}: unknown setting; known: ${Object.keys(SETTINGS).map(envName).join(', ')}`)
    out[name] = fromText(name, settingSpec(name, 'environment'), raw, 'environment')
  }
  for (const [name, raw] of Object.entries(layers.flags ?? {})) {
    const spec = settingSpec(name, 'flag')
    out[name] = typeof raw === 'boolean' ? fromJson(name, spec, raw, 'flag') : fromText(name, spec, raw, 'flag')
  }
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const allowed = spec.check?.(out[name] as never)
    if (allowed !== undefined) throw bad(name, out[name], allowed)
  }
  return Object.freeze(out) as NodeConfig
}

/** The text `meshtrain start --help` prints: every setting, its flag, variable and default. */
export function settingsHelp (): string {
  return (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(([name, spec]) => {
    const flag = spec.kind === 'boolean' ? `${flagName(name)} / --no-${flagName(name).slice(2)}` : `${flagName(name)} ${argName(spec.kind)}`
    const def = Array.isArray(spec.default) ? (spec.default.length === 0 ? 'none' : spec.default.join(',')) : spec.default === '' ? 'none' : String(spec.default)
    return `  ${flag}\n      ${spec.help}\n      default: ${def}; environment: ${envName(name)}; config.json: "${name}"`
  }).join('\n')
}

/** What is wrong with an `attack` setting, or undefined when it is `none` or a valid attack. */
function attackProblem (text: string): string | undefined {
  if (text === 'none') return undefined
  try {
    parseAttack(text)
    return undefined
  } catch (err) {
    return `none or NAME[:k=v,...] (${(err as Error).message.replace(/^--attack: /, '')})`
  }
}

/** `2/4` -> { index: 2, count: 4 }; undefined when malformed. */
export function parseShard (text: string): { index: number, count: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text)
  if (m === null) return undefined
  const index = Number(m[1])
  const count = Number(m[2])
  return count >= 1 && index < count ? { index, count } : undefined
}

function settingSpec (name: string, source: Source): SettingSpec {
  const spec = (SETTINGS as Record<string, SettingSpec>)[name]
  if (spec === undefined) {
    const known = Object.keys(SETTINGS).map(n => (source === 'flag' ? flagName(n) : n)).join(', ')
    const shown = source === 'flag' ? flagName(name) : name
    throw new ConfigError(name, `${source} ${shown}: unknown setting; known: ${known}`)
  }
  return spec
}

function fromText (name: string, spec: SettingSpec, raw: string, source: Source): unknown {
  const kind = spec.kind
  if (kind === 'string') return raw
  if (kind === 'list') return raw.split(',').map(s => s.trim()).filter(s => s !== '')
  if (kind === 'integer') {
    if (!/^\d+$/.test(raw.trim())) throw bad(name, raw, 'a whole number', source)
    return Number(raw)
  }
  if (kind === 'boolean') {
    if (['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) return true
    if (['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false
    throw bad(name, raw, 'true or false', source)
  }
  if (!kind.oneOf.includes(raw)) throw bad(name, raw, `one of ${kind.oneOf.join(', ')}`, source)
  return raw
}

function fromJson (name: string, spec: SettingSpec, raw: unknown, source: Source = 'config file'): unknown {
  const kind = spec.kind
  const ok = kind === 'string'
    ? typeof raw === 'string'
    : kind === 'integer'
      ? Number.isSafeInteger(raw) && (raw as number) >= 0
      : kind === 'boolean'
        ? typeof raw === 'boolean'
        : kind === 'list'
          ? Array.isArray(raw) && raw.every(x => typeof x === 'string')
          : typeof raw === 'string' && kind.oneOf.includes(raw)
  if (!ok) throw bad(name, raw, kind === 'list' ? 'an array of strings' : typeof kind === 'object' ? `one of ${kind.oneOf.join(', ')}` : `a ${kind === 'integer' ? 'whole number' : kind}`, source)
  return raw
}

function bad (name: string, value: unknown, allowed: string, source?: Source): ConfigError {
  const where = source === undefined ? `setting ${name}` : source === 'flag' ? `${flagName(name)}` : source === 'environment' ? `${envName(name)}` : `config.json "${name}"`
  return new ConfigError(name, `${where}: got ${JSON.stringify(value)}, expected ${allowed}`)
}

function argName (kind: Kind): string {
  if (typeof kind === 'object') return kind.oneOf.join('|')
  return kind === 'integer' ? 'N' : kind === 'list' ? 'A,B,...' : 'VALUE'
}
