import { ConfigError } from '../errors/index.ts'

/**
 * Settings tables: one row per setting (name, type, default, parser, help), from which come the
 * command-line flags, `--help`, the README table, the environment reader and the config-file
 * reader. A value is parsed once, here, into its typed form; nothing downstream re-parses it.
 */

/** The raw shape of a setting on the command line and in config.json. */
export type RawKind = 'string' | 'integer' | 'boolean' | 'list'

/** A raw value of a setting, as it comes from a flag, the environment or config.json. */
export type RawValue = string | number | boolean | readonly string[]

/** One setting: its raw shape, typed default, parser and help. */
export interface Setting<T> {
  readonly kind: RawKind
  /** The typed default. */
  readonly default: T
  /** Shown as the default in help and the README (the text form of `default`). */
  readonly defaultText: string
  /** Placeholder of the value in help, e.g. `ADDR`, `N`. */
  readonly arg?: string
  /** What is allowed, for help and error messages, e.g. `a whole number from 1 to 10000`. */
  readonly allowed: string
  readonly help: string
  /**
   * Raw value to typed value. Throws (any Error) when the value is not allowed; its message,
   * when it adds something to `allowed`, is shown in parentheses.
   */
  readonly parse: (raw: never) => T
  /** Read from `MESHTRAIN_*` and config.json as well as from flags. @default true */
  readonly persistent?: boolean
  /** A string setting that `--no-<flag>` turns off; its parser then receives `false`. @default false */
  readonly negatable?: boolean
}

/** A table of settings by camelCase name. */
export type SettingsTable = Readonly<Record<string, Setting<unknown>>>

/** The typed, resolved values of a table. */
export type SettingsOf<T extends SettingsTable> = { readonly [K in keyof T]: T[K]['default'] }

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
export interface SettingLayers {
  /** Parsed JSON of config.json (an object), or undefined when there is none. */
  readonly file?: unknown
  /** The process environment; only `MESHTRAIN_*` variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Raw flag values by setting name (camelCase). */
  readonly flags?: Readonly<Record<string, RawValue | undefined>>
}

/**
 * Merge the layers over the defaults and parse every given value once. Pure: the caller reads
 * files, environment and argv.
 * @throws ConfigError naming the setting, where it came from, the value and what is allowed.
 */
export function resolveSettings<T extends SettingsTable> (table: T, layers: SettingLayers): SettingsOf<T> {
  const out: Record<string, unknown> = {}
  for (const [name, setting] of Object.entries(table)) out[name] = setting.default
  const persistent = Object.entries(table).filter(([, s]) => s.persistent !== false).map(([n]) => n)

  if (layers.file !== undefined) {
    if (layers.file === null || typeof layers.file !== 'object' || Array.isArray(layers.file)) {
      throw new ConfigError('config.json', 'config.json: expected a JSON object of settings')
    }
    for (const [name, raw] of Object.entries(layers.file)) {
      if (!persistent.includes(name)) throw new ConfigError(name, `config.json "${name}": unknown setting; known: ${persistent.join(', ')}`)
      out[name] = parseValue(table, name, checkJsonShape(table, name, raw), 'config file')
    }
  }
  for (const [key, raw] of Object.entries(layers.env ?? {})) {
    if (!key.startsWith('MESHTRAIN_') || raw === undefined) continue
    const name = persistent.find(n => envName(n) === key)
    if (name === undefined) throw new ConfigError(key, `environment ${key}: unknown setting; known: ${persistent.map(envName).join(', ')}`)
    out[name] = parseValue(table, name, fromText(table, name, raw), 'environment')
  }
  for (const [name, raw] of Object.entries(layers.flags ?? {})) {
    if (raw === undefined) continue
    if (table[name] === undefined) throw new ConfigError(name, `${flagName(name)}: unknown option; known: ${Object.keys(table).map(flagName).join(', ')}`)
    out[name] = parseValue(table, name, raw, 'flag')
  }
  return Object.freeze(out) as SettingsOf<T>
}

/** The `--help` text of a table: every setting, its flag, variable, default and meaning. */
export function settingsHelp (table: SettingsTable): string {
  return Object.entries(table).map(([name, s]) => {
    const flag = s.kind === 'boolean'
      ? `${flagName(name)} / --no-${flagName(name).slice(2)}`
      : `${flagName(name)} ${s.arg ?? 'VALUE'}${s.negatable === true ? ` / --no-${flagName(name).slice(2)}` : ''}`
    const where = s.persistent === false ? '' : `; environment: ${envName(name)}; config.json: "${name}"`
    const repeat = s.kind === 'list' ? ' (repeat the flag, or separate with commas)' : ''
    return `  ${flag}\n      ${s.help}${repeat}\n      allowed: ${s.allowed}; default: ${s.defaultText}${where}`
  }).join('\n')
}

/** The README's table of a settings table, in Markdown. */
export function settingsMarkdown (table: SettingsTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = s.kind === 'boolean'
      ? `\`${flagName(name)}\` / \`--no-${flagName(name).slice(2)}\``
      : `\`${flagName(name)} ${s.arg ?? 'VALUE'}\`${s.negatable === true ? ` / \`--no-${flagName(name).slice(2)}\`` : ''}`
    const env = s.persistent === false ? '' : `\`${envName(name)}\``
    return `| ${name} | ${flag} | ${env} | \`${s.defaultText}\` | ${s.allowed.replaceAll('|', '\\|')} | ${s.help.replaceAll('|', '\\|')} |`
  })
  return ['| setting | flag | environment | default | allowed | meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n')
}

function parseValue (table: SettingsTable, name: string, raw: RawValue, source: Source): unknown {
  const setting = table[name] as Setting<unknown>
  try {
    return setting.parse(raw as never)
  } catch (err) {
    const reason = err instanceof Error && err.message !== '' && err.message !== setting.allowed ? ` (${err.message})` : ''
    throw new ConfigError(name, `${where(name, source)}: got ${JSON.stringify(raw)}, expected ${setting.allowed}${reason}`, { cause: err })
  }
}

/** A value from the environment (text) in the setting's raw shape. */
function fromText (table: SettingsTable, name: string, text: string): RawValue {
  const setting = table[name] as Setting<unknown>
  switch (setting.kind) {
    case 'list': return text.split(',').map(s => s.trim()).filter(s => s !== '')
    case 'boolean': {
      if (['true', '1', 'yes', 'on'].includes(text.toLowerCase())) return true
      if (['false', '0', 'no', 'off', ''].includes(text.toLowerCase())) return false
      throw new ConfigError(name, `${where(name, 'environment')}: got ${JSON.stringify(text)}, expected true or false (or 1, 0, yes, no, on, off)`)
    }
    default: return text
  }
}

/** A value from config.json, checked against the setting's raw shape. */
function checkJsonShape (table: SettingsTable, name: string, raw: unknown): RawValue {
  const kind = (table[name] as Setting<unknown>).kind
  const ok = kind === 'string'
    ? typeof raw === 'string'
    : kind === 'integer'
      ? typeof raw === 'number' || typeof raw === 'string'
      : kind === 'boolean'
        ? typeof raw === 'boolean'
        : Array.isArray(raw) && raw.every(x => typeof x === 'string')
  if (!ok) {
    const shape = kind === 'list' ? 'an array of strings' : kind === 'integer' ? 'a whole number' : `a ${kind}`
    throw new ConfigError(name, `${where(name, 'config file')}: got ${JSON.stringify(raw)}, expected ${shape}`)
  }
  return raw as RawValue
}

function where (name: string, source: Source): string {
  return source === 'flag' ? flagName(name) : source === 'environment' ? envName(name) : `config.json "${name}"`
}

/* Parsers the tables share. Each throws an Error whose message says what is wrong. */

/** A whole number in [min, max], from text or a JSON number. */
export function integerIn (min: number, max: number): (raw: string | number) => number {
  return raw => {
    const value = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error('')
    return value
  }
}

/** One of a fixed set of words. */
export function oneOf<const W extends string> (words: readonly W[]): (raw: string) => W {
  return raw => {
    if (!(words as readonly string[]).includes(raw)) throw new Error('')
    return raw as W
  }
}

/** A flag given as a boolean. */
export function boolean (raw: boolean): boolean {
  return raw
}

/** A list given as repeated flags, comma-separated text or a JSON array: each item parsed. */
export function listOf<T> (parseItem: (text: string) => T): (raw: string | readonly string[]) => readonly T[] {
  return raw => {
    const items = (typeof raw === 'string' ? [raw] : raw).flatMap(s => s.split(',')).map(s => s.trim()).filter(s => s !== '')
    return Object.freeze(items.map(item => {
      try {
        return parseItem(item)
      } catch (err) {
        throw new Error(`${JSON.stringify(item)}: ${(err as Error).message}`, { cause: err })
      }
    }))
  }
}
