import type { RoundSummary } from '../round/index.ts'
import type { RoundNetworkStats } from '../network/index.ts'
import { stallText } from './kept-own-streak.ts'
import type { StallInfo } from './kept-own-streak.ts'
import type { PrivacyStatus } from './node-privacy.ts'

/** The round network's counters and the process's memory, reported after every round. */
export interface NetworkStatus extends RoundNetworkStats {
  readonly memory: { readonly heapUsedBytes: number, readonly rssBytes: number, readonly externalBytes: number }
}

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
  /** The manifest version the node runs under (0: the genesis). */
  readonly manifestVersion: number
}

/** The daemon's status lines on stdout: for people (text) or for programs such as the swarm (json). */
export interface StatusOutput {
  ready (info: ReadyInfo): void
  /** A round closed; `ledgerMs`: the audit ledger's time on the round's critical path after it (ms). */
  round (summary: RoundSummary, ledgerMs: number): void
  finished (rounds: number): void
  /** The node kept its own model several rounds in a row: what it heard and what the rule needs. */
  stalled (info: StallInfo): void
  /** Validation outcomes by code, graylisted peers and memory (text: only when refusals changed). */
  network (status: NetworkStatus): void
  /** A private node's budget: at start and after every round. */
  privacy (status: PrivacyStatus): void
}

/** The status line events as JSON objects, one per line, as `meshtrain swarm` reads them. */
export type StatusEvent =
  | ({ readonly event: 'ready' } & ReadyInfo)
  | { readonly event: 'round', readonly round: number, readonly peers: number, readonly used: number, readonly refused: number, readonly keptOwn: boolean, readonly loss: number, readonly accuracy: number, readonly durationMs: number, readonly ledgerMs: number }
  | { readonly event: 'finished', readonly rounds: number }
  | ({ readonly event: 'stalled' } & StallInfo)
  | ({ readonly event: 'network' } & NetworkStatus)
  | ({ readonly event: 'privacy' } & PrivacyStatus)

/** Status lines written with `write` (stdout in the daemon). */
export function createStatusOutput (format: 'text' | 'json', write: (line: string) => void): StatusOutput {
  const emit = (event: StatusEvent, text: string): void => write(format === 'json' ? JSON.stringify(event) : text)
  let lastNetworkText = ''
  return {
    ready: info => emit({ event: 'ready', ...info }, [
      `meshtrain node ${info.peerId}`,
      `network ${info.networkId}, manifest version ${info.manifestVersion}, rule ${info.rule}, ${info.parameters} parameters, backend ${info.backend}`,
      ...info.addresses.map(a => `listening on ${a}`),
      `bootstrap address: ${info.bootstrapAddress}`,
      ...(info.resumedFromRound === undefined ? [] : [`resuming after round ${info.resumedFromRound} from the checkpoint`])
    ].join('\n')),
    round: (s, ledgerMs) => emit(
      { event: 'round', round: s.round, peers: s.peers, used: s.used, refused: s.refused, keptOwn: s.keptOwn, loss: round4(s.loss), accuracy: round4(s.accuracy), durationMs: s.durationMs, ledgerMs: round4(ledgerMs) },
      `round ${s.round}  peers ${s.peers}  inputs used ${s.used} refused ${s.refused}${s.keptOwn ? ' (kept own model)' : ''}  loss ${s.loss.toFixed(4)}  held-out accuracy ${s.accuracy.toFixed(4)}  ${(s.durationMs / 1000).toFixed(1)}s`
    ),
    finished: rounds => emit({ event: 'finished', rounds }, `finished ${rounds} rounds`),
    stalled: info => emit({ event: 'stalled', ...info }, `not aggregating: ${stallText(info)}`),
    privacy: status => emit({ event: 'privacy', ...status }, privacyText(status)),
    network: status => {
      const text = networkText(status)
      if (format === 'text' && text === lastNetworkText) return
      lastNetworkText = text
      emit({ event: 'network', ...status }, text)
    }
  }
}

/** `privacy: epsilon 1.2345 of 4 spent (delta 0.00001, sigma 0.7762), 150 steps, 2850 left`, and what the node does once it is spent. */
function privacyText (s: PrivacyStatus): string {
  const spent = `privacy: epsilon ${s.epsilonSpent.toFixed(4)} of ${s.epsilonBudget} spent (delta ${s.delta}, sigma ${s.noiseMultiplier.toFixed(4)}, ${s.mode}), ${s.stepsSpent} steps, ${s.remainingSteps} left`
  if (!s.exhausted) return spent
  return `${spent}; budget spent: ${s.onBudgetExhausted === 'stop' ? 'training stopped, the node stops' : 'training stopped, relaying and aggregating peers\' models'}`
}

/** `refused announcements: malformed 3, equivocation 1; model requests: unknown-hash 2; graylisted 1 peer`. */
function networkText (status: NetworkStatus): string {
  const refused = (counts: Readonly<Record<string, number | undefined>>): string =>
    Object.entries(counts).filter(([code]) => code !== 'accept' && code !== 'duplicate').map(([code, n]) => `${code} ${n ?? 0}`).join(', ') || 'none'
  const graylisted = status.graylisted.length === 0 ? '' : `; graylisted ${status.graylisted.map(p => p.peerId).join(', ')}`
  return `refused announcements: ${refused(status.announcements)}; model requests refused: ${refused(status.transferRequests)}${graylisted}`
}

function round4 (x: number): number {
  return Math.round(x * 1e4) / 1e4
}
