import { coordinateMedian } from '../aggregation/index.ts'
import type { PeerAlignmentOptions } from '../aggregation/index.ts'

/** One peer as the memory remembers it: its moving average of alignment, and the rounds it was seen. */
export interface PeerAlignment {
  readonly average: number
  readonly rounds: number
}

/** The memory's state by peer id: what a node saves to keep it across restarts. */
export type PeerAlignmentState = Readonly<Record<string, PeerAlignment>>

/**
 * What the memory measures with: the coordinate-wise median of a round's inputs, and the cosine of
 * two updates from the round's start. A simulation shares one that computes each median and
 * cosine once for the nodes that ask for the same ones (scripts/robustness/shared-aggregation.ts).
 */
export interface AlignmentMeasure {
  readonly median: (inputs: readonly Float32Array[]) => Float32Array
  readonly cosine: (a: Float32Array, b: Float32Array, start: Float32Array) => number
}

/**
 * Remembers, per peer, how its update lines up with the round's robust direction: the cosine of
 * (peer's model − the round's start) with (coordinate-wise median of the node's inputs − start),
 * as a moving average (with `withOwn`, each round the higher of that and the cosine with the
 * node's own update; each round counting at most `ceiling`); a peer whose average is below the threshold after its warm-up is left
 * out of the aggregate (the manifest's `aggregation.alignmentThreshold`; docs/design.md). An
 * attacker who keeps every update at the threshold or above is bounded by it, which the
 * robustness benchmark measures with searches that do (`undo-progress:floor=T`).
 */
export class PeerAlignmentMemory {
  readonly #peers: Map<string, PeerAlignment>
  readonly #measure: AlignmentMeasure

  /** @param state what an earlier run remembered (parsePeerAlignmentState). */
  constructor (state: PeerAlignmentState = {}, measure: AlignmentMeasure = PLAIN_ALIGNMENT_MEASURE) {
    this.#peers = new Map(Object.entries(state))
    this.#measure = measure
  }

  /** Update each peer's average with this round's models, and return those to aggregate. */
  select<T extends { readonly peerId: string, readonly weights: Float32Array }> (options: PeerAlignmentOptions, start: Float32Array, own: Float32Array, peers: readonly T[]): T[] {
    if (peers.length === 0) return []
    const median = this.#measure.median([own, ...peers.map(p => p.weights)])
    const { threshold, decay, warmupRounds } = options
    return peers.filter(peer => {
      const withMedian = this.#measure.cosine(peer.weights, median, start)
      const cosine = Math.min(options.ceiling, options.withOwn ? higher(withMedian, this.#measure.cosine(peer.weights, own, start)) : withMedian)
      const known = this.#peers.get(peer.peerId)
      // A round without a direction (the peer's update or the median's is zero) tells nothing.
      const next = !Number.isFinite(cosine)
        ? known
        : known === undefined ? { average: cosine, rounds: 1 } : { average: decay * known.average + (1 - decay) * cosine, rounds: known.rounds + 1 }
      if (next === undefined) return true
      this.#peers.set(peer.peerId, next)
      return next.rounds < warmupRounds || next.average >= threshold
    })
  }

  /** What the memory holds now, to save. */
  state (): PeerAlignmentState {
    return Object.fromEntries(this.#peers)
  }
}

/**
 * A saved state read back: an object of peer id to `{ average, rounds }`.
 * @throws Error naming what is wrong.
 */
export function parsePeerAlignmentState (json: unknown): PeerAlignmentState {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('expected an object of peer id to { average, rounds }')
  const state: Record<string, PeerAlignment> = {}
  for (const [peer, value] of Object.entries(json as Record<string, unknown>)) {
    const { average, rounds } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
    if (typeof average !== 'number' || !(average >= -1 && average <= 1) || typeof rounds !== 'number' || !Number.isInteger(rounds) || rounds < 1) {
      throw new Error(`peer ${peer}: expected { average: a number from -1 to 1, rounds: an integer >= 1 }`)
    }
    state[peer] = { average, rounds }
  }
  return state
}

/** The higher of two cosines, a NaN (no direction) counting as absent. */
function higher (a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b)
}

/** cos(a − start, b − start); NaN when either difference is zero. */
export function updateCosine (a: Float32Array, b: Float32Array, start: Float32Array): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let j = 0; j < start.length; j++) {
    const s = start[j] as number
    const x = (a[j] as number) - s
    const y = (b[j] as number) - s
    ab += x * y
    aa += x * x
    bb += y * y
  }
  return ab / Math.sqrt(aa * bb)
}

/** The measure a node uses: each median and cosine computed as asked. */
export const PLAIN_ALIGNMENT_MEASURE: AlignmentMeasure = Object.freeze({ median: (inputs: readonly Float32Array[]) => coordinateMedian(inputs), cosine: updateCosine })
