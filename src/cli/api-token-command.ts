import { createApiToken } from '../api-endpoint/index.ts'
import { settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'

const OPTIONS = { dataDir: DATA_DIR_OPTION }

const HELP = `usage: meshtrain api-token --data-dir DIR

Creates DIR/api-token (mode 0600, 256 random bits) unless it exists. A node whose API listens on
an address other than loopback (--api 0.0.0.0:7172) needs it; clients send it as
"Authorization: Bearer <token>". The token is never printed: read it from the file.

`

/** `meshtrain api-token`. */
export async function apiTokenCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(OPTIONS)}\n`)
  const { path, created } = await createApiToken(requireDataDir(flags))
  process.stdout.write(created ? `created ${path} (mode 0600)\n` : `${path} exists: kept\n`)
}
