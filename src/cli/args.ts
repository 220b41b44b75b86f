import { ConfigError } from '../errors/index.ts'

/** What a flag takes: a value (`--x V` or `--x=V`) or nothing (`--x`, and `--no-x` for false). */
export type FlagKind = 'value' | 'boolean'

export interface ParsedArgs {
  /** Values by flag name without dashes, e.g. `data-dir`. */
  readonly flags: Record<string, string | boolean>
  readonly positional: string[]
}

/**
 * Parse `argv` against the flags a command knows.
 * @throws ConfigError for an unknown flag or a missing value, naming the known flags.
 */
export function parseArgs (argv: readonly string[], known: Readonly<Record<string, FlagKind>>): ParsedArgs {
  const flags: Record<string, string | boolean> = {}
  const positional: string[] = []
  const knownList = (): string => Object.entries(known).map(([f, k]) => (k === 'boolean' ? `--${f}, --no-${f}` : `--${f}`)).join(', ')
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let inline = eq === -1 ? undefined : arg.slice(eq + 1)
    if (known[name] === undefined && name.startsWith('no-') && known[name.slice(3)] === 'boolean' && inline === undefined) {
      name = name.slice(3)
      inline = 'false'
    }
    const kind = known[name]
    if (kind === undefined) throw new ConfigError(name, `unknown option --${name}; known options: ${knownList()}`)
    if (kind === 'boolean') {
      if (inline !== undefined && !['true', 'false'].includes(inline)) throw new ConfigError(name, `--${name}: got ${JSON.stringify(inline)}, expected true or false`)
      flags[name] = inline === undefined ? true : inline === 'true'
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new ConfigError(name, `--${name} needs a value`)
    flags[name] = value
  }
  return { flags, positional }
}
