import { MAX_ROUND_HISTORY } from '../api-endpoint/index.ts'
import type { RoundRecord } from '../api/index.ts'
import { boolean, resolveSettings, settingsHelp } from '../node/index.ts'
import { ApiClient } from './api-client.ts'
import { API_COMMAND_OPTIONS } from './api-command-options.ts'
import { parseCommandLine } from './args.ts'
import { requireDataDir } from './data-dir-option.ts'
import { stopOnSignals } from './signals.ts'
import { stderrLogger } from './stderr-logger.ts'

const ROUNDS_OPTIONS = {
  ...API_COMMAND_OPTIONS,
  follow: {
    kind: 'boolean', default: false, defaultText: 'off', allowed: 'on or off', persistent: false,
    help: 'after the rounds so far, print each new round as it closes, until Ctrl-C', parse: boolean
  }
} as const

const HELP = `usage: meshtrain rounds --data-dir DIR [--json] [--follow]

Prints the round summaries of the running node of DIR (the last ${MAX_ROUND_HISTORY} it keeps): round, peers,
inputs used and refused, loss, held-out accuracy, time training, waiting and aggregating, bytes
fetched. Exit status 2 when the node cannot be reached.

`

/** `meshtrain rounds`. */
export async function roundsCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, ROUNDS_OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(ROUNDS_OPTIONS)}\n`)
  const options = resolveSettings(ROUNDS_OPTIONS, { flags })
  const client = await ApiClient.fromDataDir(requireDataDir(flags))
  const rounds = await roundsSince(client, 0)
  if (options.json && !options.follow) return void process.stdout.write(JSON.stringify(rounds) + '\n')
  const print = (r: RoundRecord): void => { process.stdout.write((options.json ? JSON.stringify(r) : roundLine(r)) + '\n') }
  if (!options.json && !options.follow && rounds.length === 0) process.stdout.write('no round finished yet\n')
  for (const r of rounds) print(r)
  if (!options.follow) return
  const controller = stopOnSignals(stderrLogger(false))
  let latest = rounds.at(-1)?.round ?? -1
  for await (const event of client.events(controller.signal)) {
    if (event.type !== 'round') continue
    const record = event.data as RoundRecord
    if (record.round <= latest) continue // already printed from the listing
    // Rounds that closed between the listing and the stream's start are asked for, so none is missing.
    if (record.round > latest + 1) for (const r of await roundsSince(client, latest + 1)) if (r.round < record.round) print(r)
    latest = record.round
    print(record)
  }
}

/** The node's round records from round `since` on, page by page. */
async function roundsSince (client: ApiClient, since: number): Promise<RoundRecord[]> {
  const rounds: RoundRecord[] = []
  for (;;) {
    const { body } = await client.getJson<{ rounds: RoundRecord[], truncated: boolean }>(`/api/v1/rounds?since=${since}`)
    rounds.push(...body.rounds)
    const last = body.rounds.at(-1)
    if (!body.truncated || last === undefined) return rounds
    since = last.round + 1
  }
}

/** `round 12  peers 3  used 3 refused 0  loss 0.2310  accuracy 0.9350  train 0.4s wait 0.2s aggregate 3 ms  fetched 610 kB`. */
export function roundLine (r: RoundRecord): string {
  return `round ${r.round}  peers ${r.peers}  used ${r.used} refused ${r.refused}${r.keptOwn ? ' (kept own)' : ''}  loss ${r.loss.toFixed(4)}  accuracy ${r.accuracy.toFixed(4)}  ` +
    `train ${(r.trainingMs / 1000).toFixed(1)}s wait ${(r.waitMs / 1000).toFixed(1)}s aggregate ${Math.round(r.aggregationMs)} ms  fetched ${Math.round(r.bytesFetched / 1000)} kB`
}
