import { RuntimeFailure } from '../errors/index.ts'
import { resolveSettings, settingsHelp } from '../node/index.ts'
import { ApiClient } from './api-client.ts'
import { API_COMMAND_OPTIONS } from './api-command-options.ts'
import { parseCommandLine } from './args.ts'
import { requireDataDir } from './data-dir-option.ts'

const HELP = `usage: meshtrain status --data-dir DIR [--json]

Asks the running node of DIR (through DIR/api) how it is: round, phase, loss, held-out accuracy,
inputs used and refused, peers, and whether it is ready. Exit status: 0 ready, 1 running but not
ready (the reasons are printed), 2 unreachable.

`

interface Status {
  round: number | null
  phase: string
  peers: number
  loss: number | null
  accuracy: number | null
  used: number | null
  refused: number | null
  uptimeSeconds: number
  /** A private node's budget (src/node PrivacyStatus); null on a network without privacy. */
  privacy: { epsilonSpent: number, epsilonBudget: number, delta: number, noiseMultiplier: number, stepsSpent: number, remainingSteps: number, exhausted: boolean } | null
}

/** `meshtrain status`. */
export async function statusCommand (argv: string[]): Promise<void> {
  const { flags, help } = parseCommandLine(argv, API_COMMAND_OPTIONS)
  if (help) return void process.stdout.write(`${HELP}${settingsHelp(API_COMMAND_OPTIONS)}\n`)
  const options = resolveSettings(API_COMMAND_OPTIONS, { flags })
  const client = await ApiClient.fromDataDir(requireDataDir(flags))
  const [status, readiness] = await Promise.all([
    client.getJson<Status>('/api/v1/status'),
    client.getJson<{ ready: boolean, reasons: string[] }>('/readyz')
  ])
  const ready = readiness.body
  if (options.json) {
    process.stdout.write(JSON.stringify({ ...status.body, ready: ready.ready, reasons: ready.reasons }) + '\n')
  } else {
    const s = status.body
    const fixed = (x: number | null): string => (x === null ? '-' : x.toFixed(4))
    process.stdout.write([
      `${ready.ready ? 'ready' : 'not ready'}  round ${s.round ?? '-'}  phase ${s.phase}  peers ${s.peers}`,
      `loss ${fixed(s.loss)}  held-out accuracy ${fixed(s.accuracy)}  inputs used ${s.used ?? '-'} refused ${s.refused ?? '-'}  up ${s.uptimeSeconds}s`,
      ...(s.privacy === null
        ? []
        : [`privacy: epsilon ${s.privacy.epsilonSpent.toFixed(4)} of ${s.privacy.epsilonBudget} spent (delta ${s.privacy.delta}, sigma ${s.privacy.noiseMultiplier.toFixed(4)}), ${s.privacy.stepsSpent} steps, ${s.privacy.remainingSteps} left${s.privacy.exhausted ? ': budget spent, not training' : ''}`])
    ].join('\n') + '\n')
  }
  if (!ready.ready) throw new RuntimeFailure('not-ready', `not ready: ${ready.reasons.join('; ')}`)
}
