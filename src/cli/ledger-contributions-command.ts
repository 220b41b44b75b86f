import { ConfigError } from '../errors/index.ts'
import { contributionTotals } from '../ledger/index.ts'
import type { PeerContribution } from '../ledger/index.ts'
import { integerIn, resolveSettings, settingsHelp } from '../node/index.ts'
import { parseCommandLine } from './args.ts'
import { DATA_DIR_OPTION, requireDataDir } from './data-dir-option.ts'
import { verifiedEntries } from './ledger-entries.ts'
import { JSON_OPTION } from './ledger-options.ts'

const ROUND = (help: string, defaultText: string) => ({
  kind: 'integer', default: undefined as number | undefined, defaultText, arg: 'R', allowed: `a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
  help, parse: integerIn(0, Number.MAX_SAFE_INTEGER), persistent: false
}) as const

/** The settings of `meshtrain ledger contributions` (flags only). */
export const LEDGER_CONTRIBUTIONS_SETTINGS = {
  dataDir: DATA_DIR_OPTION,
  from: ROUND('first round counted', 'the first'),
  to: ROUND('last round counted', 'the last'),
  json: JSON_OPTION
} as const

const HELP = `usage: meshtrain ledger contributions --data-dir DIR [--from R] [--to R] [--json]

Sums, per peer, what this node's log recorded of the peer's inputs over a range of rounds: inputs
judged, used in an aggregate, refused (by validation code), the sum of the cosines of its used
updates with the aggregate's update, and its mean distance to the aggregate.

`

/** The table printed by `ledger contributions`. */
export function formatContributions (rows: readonly PeerContribution[]): string {
  if (rows.length === 0) return 'no peer inputs in that range'
  const header = 'peer                                                   inputs  used  cosine-sum  mean-distance  refused'
  return [header, ...rows.map(r => [
    r.peer.padEnd(54), String(r.inputs).padStart(6), String(r.used).padStart(5), r.cosineSum.toFixed(3).padStart(11),
    (r.meanDistance === null ? '-' : r.meanDistance.toPrecision(4)).padStart(14),
    ' ' + (Object.entries(r.refused).map(([code, n]) => `${code} ${n}`).join(', ') || '-')
  ].join(' '))].join('\n')
}

/** `meshtrain ledger contributions`. */
export async function ledgerContributionsCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, LEDGER_CONTRIBUTIONS_SETTINGS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(LEDGER_CONTRIBUTIONS_SETTINGS)}\n`)
  const options = resolveSettings(LEDGER_CONTRIBUTIONS_SETTINGS, { flags })
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
    throw new ConfigError('from', `--from ${options.from} is after --to ${options.to}`)
  }
  const rows = contributionTotals(await verifiedEntries(requireDataDir(flags)), options.from, options.to)
  process.stdout.write((options.json ? JSON.stringify(rows) : formatContributions(rows)) + '\n')
}
