import { ConfigError } from '../errors/index.ts'
import type { RawValue } from '../node/index.ts'

/** `--data-dir DIR` of the commands that read a node's files without starting it (id, manifest). */
export const DATA_DIR_OPTION = {
  kind: 'string', default: '', defaultText: 'required (or MESHTRAIN_DATA_DIR)', arg: 'DIR', allowed: 'a directory made by meshtrain init', persistent: false,
  help: 'the node\'s data directory', parse: (raw: string) => raw
} as const

/**
 * The data directory from `--data-dir`, else from MESHTRAIN_DATA_DIR.
 * @throws ConfigError when neither is given.
 */
export function requireDataDir (flags: Readonly<Record<string, RawValue>>, env: NodeJS.ProcessEnv = process.env): string {
  const dataDir = flags.dataDir ?? env.MESHTRAIN_DATA_DIR
  if (typeof dataDir !== 'string' || dataDir === '') throw new ConfigError('dataDir', '--data-dir is required (or MESHTRAIN_DATA_DIR)')
  return dataDir
}
