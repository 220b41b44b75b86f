import { ConfigError } from '../errors/index.ts'
import { formatLineage, modelLineage } from '../ledger/index.ts'
import { integerIn, resolveSettings, settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'
import { verifiedEntries } from './ledger-entries.ts'
import { JSON_OPTION } from './ledger-options.ts'

/** Default of `--depth`: rounds of aggregates followed back. */
export const DEFAULT_LINEAGE_DEPTH = 3

/** The settings of `meshtrain ledger lineage` (flags only). */
export const LEDGER_LINEAGE_SETTINGS = {
  dataDir: DATA_DIR_OPTION,
  depth: {
    kind: 'integer', default: DEFAULT_LINEAGE_DEPTH as number, defaultText: String(DEFAULT_LINEAGE_DEPTH), arg: 'N', allowed: 'a whole number from 1 to 1000000',
    help: 'how many rounds of aggregates to follow back', parse: integerIn(1, 1_000_000), persistent: false
  },
  json: JSON_OPTION
} as const

const HELP = `usage: meshtrain ledger lineage MODEL_HASH --data-dir DIR [--depth N] [--json]

The rounds, peers, data commitments and verdicts behind a model version, from the node's own
log: which aggregate produced it and from which inputs, each input trained by this node (on which
data, from which model, with which seed) or announced by a peer (its verdict, whether it was used,
the size of its log).

`

/** `meshtrain ledger lineage MODEL_HASH`. */
export async function ledgerLineageCommand (argv: string[]): Promise<void> {
  const { flags, help, positionals } = parseCommandLine(argv, LEDGER_LINEAGE_SETTINGS, { positionals: true })
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(LEDGER_LINEAGE_SETTINGS)}\n`)
  const options = resolveSettings(LEDGER_LINEAGE_SETTINGS, { flags })
  const [model, ...extra] = positionals
  if (model === undefined || !/^[0-9a-f]{64}$/.test(model)) {
    throw new ConfigError('model', `MODEL_HASH: got ${JSON.stringify(model ?? '')}, expected a model's SHA-256 as 64 lower-case hex digits`)
  }
  if (extra.length > 0) throw new ConfigError('argument', `unexpected argument ${extra[0] ?? ''}: lineage takes one MODEL_HASH`)
  const lineage = modelLineage(await verifiedEntries(requireDataDir(flags)), model, options.depth)
  process.stdout.write((options.json ? JSON.stringify(lineage) : formatLineage(lineage).join('\n')) + '\n')
}
