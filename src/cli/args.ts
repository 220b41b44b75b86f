import { parseArgs } from 'node:util'
import type { ParseArgsOptionsConfig } from 'node:util'
import { ConfigError } from '../errors/index.ts'
import { flagName } from '../node/index.ts'
import type { RawValue, SettingsTable } from '../node/index.ts'

/** A command's flags, as parsed by {@link parseCommandLine}. */
export interface CommandLine {
  /** Raw values by setting name (camelCase), for resolveSettings' `flags` layer. */
  readonly flags: Readonly<Record<string, RawValue>>
  readonly positionals: readonly string[]
  readonly help: boolean
}

/**
 * Parse `argv` against the flags of one or more settings tables (node:util parseArgs): string
 * settings take a value (`--x V` or `--x=V`), booleans are `--x` / `--no-x`, list settings repeat
 * (`--bootstrap A --bootstrap B`). `--help` / `-h` is always known.
 * @throws ConfigError for an unknown flag or a missing value, naming the known flags.
 */
export function parseCommandLine (argv: readonly string[], table: SettingsTable, options: { positionals?: boolean } = {}): CommandLine {
  const config: ParseArgsOptionsConfig = { help: { type: 'boolean', short: 'h' } }
  const names = new Map<string, string>()
  for (const [name, setting] of Object.entries(table)) {
    const flag = flagName(name).slice(2)
    names.set(flag, name)
    config[flag] = setting.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: setting.kind === 'list' }
    // parseArgs turns `--no-x` into `x: false` once `no-x` is a known option (allowNegative).
    if (setting.negatable === true) config[`no-${flag}`] = { type: 'boolean' }
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowNegative: true, allowPositionals: options.positionals === true })
  } catch (err) {
    throw commandLineError(err, table)
  }
  const flags: Record<string, RawValue> = {}
  for (const [flag, value] of Object.entries(parsed.values)) {
    const name = names.get(flag)
    if (name !== undefined && value !== undefined) flags[name] = value as RawValue
  }
  return { flags, positionals: parsed.positionals, help: parsed.values.help === true }
}

/** node:util's parse errors as ConfigErrors that name the flag and list the known ones. */
function commandLineError (err: unknown, table: SettingsTable): unknown {
  const code = (err as { code?: string }).code
  const message = err instanceof Error ? err.message : String(err)
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '?'
  const known = Object.entries(table).map(([name, s]) => (s.kind === 'boolean' || s.negatable === true ? `${flagName(name)} / --no-${flagName(name).slice(2)}` : flagName(name))).join(', ')
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return new ConfigError(flag, `unknown option ${flag}; known options: ${known}`)
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // `--rounds -1`: parseArgs will not take a value that starts with a dash unless written `--rounds=-1`.
      if (/ambiguous/.test(message)) return new ConfigError(flag, `${flag} needs a value; for one that starts with a dash write ${flag}=VALUE`)
      return new ConfigError(flag, /argument missing/.test(message) ? `${flag} needs a value` : `${flag} takes no value: use ${flag} or --no-${flag.slice(2)}`)
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': return new ConfigError('argument', `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}; options start with --`)
    default: return err
  }
}
