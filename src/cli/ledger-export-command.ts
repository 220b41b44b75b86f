import { open, readFile } from 'node:fs/promises'
import { ConfigError } from '../errors/index.ts'
import { encodeLedgerExport, ledgerPaths, parseCheckpoint, parseLedgerFile } from '../ledger/index.ts'
import { resolveSettings, settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'
import { nodeIdentity } from './ledger-options.ts'

/** The settings of `meshtrain ledger export` (flags only). */
export const LEDGER_EXPORT_SETTINGS = {
  dataDir: DATA_DIR_OPTION,
  out: {
    kind: 'string', default: '', defaultText: 'required', arg: 'FILE', allowed: 'a path where no file exists yet', persistent: false,
    help: 'where to write the export', parse: (raw: string) => raw
  }
} as const

const HELP = `usage: meshtrain ledger export --data-dir DIR --out FILE

Writes the node's log and its last signed checkpoint to FILE (UTF-8: a header line, then one
line per entry, each exactly the bytes the log holds). An auditor checks it with
meshtrain ledger verify --file FILE --peer PEER_ID, without the network or the data directory.
Entries after the last checkpoint (a round in progress) are left out.

`

/** `meshtrain ledger export`. */
export async function ledgerExportCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, LEDGER_EXPORT_SETTINGS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(LEDGER_EXPORT_SETTINGS)}\n`)
  const options = resolveSettings(LEDGER_EXPORT_SETTINGS, { flags })
  const dataDir = requireDataDir(flags)
  if (options.out === '') throw new ConfigError('out', '--out FILE is required')
  const { peerId } = await nodeIdentity(dataDir)
  const paths = ledgerPaths(dataDir)
  const parsed = parseLedgerFile(await readFile(paths.entries).catch((err: unknown) => {
    throw new ConfigError('dataDir', `${paths.entries}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`, { cause: err })
  }))
  const text = (await readFile(paths.checkpoint, 'utf8').catch(() => '')).trim()
  const checkpoint = text === '' ? undefined : parseCheckpoint(text)
  const records = parsed.records.slice(0, checkpoint?.size ?? parsed.records.length)
  let file
  try {
    file = await open(options.out, 'wx')
  } catch (err) {
    throw new ConfigError('out', `--out ${options.out}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists already; give a new path' : (err as Error).message}`, { cause: err })
  }
  try {
    await file.writeFile(encodeLedgerExport({ peerId, ...(checkpoint === undefined ? {} : { checkpoint }), records }))
    await file.sync()
  } finally {
    await file.close()
  }
  process.stdout.write(`exported ${records.length} entries of ${peerId} to ${options.out}\n`)
}
