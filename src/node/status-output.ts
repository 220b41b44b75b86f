import type { RoundSummary } from './round-loop.ts'

/** What a starting node says about itself once it listens. */
export interface ReadyInfo {
  readonly peerId: string
  readonly networkId: string
  readonly addresses: readonly string[]
  readonly bootstrapAddress: string
  readonly backend: string
  readonly rule: string
  readonly parameters: number
  readonly resumedFromRound: number | undefined
}

/** The daemon's status lines on stdout: for people (text) or for programs such as the swarm (json). */
export interface StatusOutput {
  ready (info: ReadyInfo): void
  round (summary: RoundSummary): void
  finished (rounds: number): void
}

/** The status line events as JSON objects, one per line, as `meshtrain swarm` reads them. */
export type StatusEvent =
  | ({ readonly event: 'ready' } & ReadyInfo)
  | { readonly event: 'round', readonly round: number, readonly peers: number, readonly used: number, readonly refused: number, readonly keptOwn: boolean, readonly loss: number, readonly accuracy: number, readonly durationMs: number }
  | { readonly event: 'finished', readonly rounds: number }

/** Status lines written with `write` (stdout in the daemon). */
export function createStatusOutput (format: 'text' | 'json', write: (line: string) => void): StatusOutput {
  const emit = (event: StatusEvent, text: string): void => write(format === 'json' ? JSON.stringify(event) : text)
  return {
    ready: info => emit({ event: 'ready', ...info }, [
      `meshtrain node ${info.peerId}`,
      `network ${info.networkId}, rule ${info.rule}, ${info.parameters} parameters, backend ${info.backend}`,
      ...info.addresses.map(a => `listening on ${a}`),
      `bootstrap address: ${info.bootstrapAddress}`,
      ...(info.resumedFromRound === undefined ? [] : [`resuming after round ${info.resumedFromRound} from the checkpoint`])
    ].join('\n')),
    round: s => emit(
      { event: 'round', round: s.round, peers: s.peers, used: s.used, refused: s.refused, keptOwn: s.keptOwn, loss: round4(s.loss), accuracy: round4(s.accuracy), durationMs: s.durationMs },
      `round ${s.round}  peers ${s.peers}  inputs used ${s.used} refused ${s.refused}${s.keptOwn ? ' (kept own model)' : ''}  loss ${s.loss.toFixed(4)}  held-out accuracy ${s.accuracy.toFixed(4)}  ${(s.durationMs / 1000).toFixed(1)}s`
    ),
    finished: rounds => emit({ event: 'finished', rounds }, `finished ${rounds} rounds`)
  }
}

function round4 (x: number): number {
  return Math.round(x * 1e4) / 1e4
}
