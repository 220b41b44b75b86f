import type { AnyLedgerEntry } from './ledger-entry.ts'
import type { Verdict } from './entry-kinds.ts'
import { peerInputsOf } from './peer-table.ts'

/**
 * Contribution accounting: cheap per-round scores of each peer input, recorded with it in the
 * round's `aggregate` entry, and their sums per peer over a range of rounds.
 */

/** The scores of one peer input against the round's aggregate. */
export interface ContributionScores {
  /** Euclidean distance from the peer's model to the aggregate. */
  readonly distance: number | null
  /**
   * Cosine similarity of the peer's update (its model minus the round's start model) with the
   * aggregate's update (aggregate minus start); null when either update is zero.
   */
  readonly cosine: number | null
}

/** Distance and cosine of `input` against `aggregate`, both updates taken from `start`. Inputs of another length give nulls. */
export function contributionScores (input: Float32Array, aggregate: Float32Array, start: Float32Array): ContributionScores {
  if (input.length !== aggregate.length || input.length !== start.length) return { distance: null, cosine: null }
  let distance = 0
  let dot = 0
  let inputNorm = 0
  let aggregateNorm = 0
  for (let i = 0; i < input.length; i++) {
    const x = input[i] as number
    const a = aggregate[i] as number
    const s = start[i] as number
    distance += (x - a) ** 2
    dot += (x - s) * (a - s)
    inputNorm += (x - s) ** 2
    aggregateNorm += (a - s) ** 2
  }
  const norms = Math.sqrt(inputNorm) * Math.sqrt(aggregateNorm)
  return { distance: Math.sqrt(distance), cosine: norms > 0 ? dot / norms : null }
}

/** One peer's sums over a range of rounds. */
export interface PeerContribution {
  readonly peer: string
  /** Inputs recorded (one per announcement judged). */
  readonly inputs: number
  /** Inputs that went into an aggregate. */
  readonly used: number
  /** Refused inputs by validation code. */
  readonly refused: Readonly<Partial<Record<Verdict, number>>>
  /** Sum of the cosines of its used inputs (the peer's agreement with where the network went). */
  readonly cosineSum: number
  /** Mean distance of its scored inputs to the aggregate, or null. */
  readonly meanDistance: number | null
}

/** Sum the peer inputs of rounds `from` to `to` (inclusive) per peer, peers in id order. */
export function contributionTotals (entries: readonly AnyLedgerEntry[], from = 0, to = Number.MAX_SAFE_INTEGER): PeerContribution[] {
  const byPeer = new Map<string, { inputs: number, used: number, refused: Partial<Record<Verdict, number>>, cosineSum: number, distanceSum: number, scored: number }>()
  for (const body of peerInputsOf(entries)) {
    if (body.round < from || body.round > to) continue
    const p = byPeer.get(body.peer) ?? { inputs: 0, used: 0, refused: {}, cosineSum: 0, distanceSum: 0, scored: 0 }
    p.inputs++
    if (body.used) p.used++
    if (body.verdict !== 'accept') p.refused[body.verdict] = (p.refused[body.verdict] ?? 0) + 1
    if (body.used && body.cosine !== null) p.cosineSum += body.cosine
    if (body.distance !== null) { p.distanceSum += body.distance; p.scored++ }
    byPeer.set(body.peer, p)
  }
  return [...byPeer.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([peer, p]) => ({
    peer, inputs: p.inputs, used: p.used, refused: p.refused, cosineSum: p.cosineSum, meanDistance: p.scored > 0 ? p.distanceSum / p.scored : null
  }))
}
