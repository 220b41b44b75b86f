import { coordinateMedian } from '../aggregation/index.ts'

/** Settings of {@link PeerAlignmentMemory}. */
export interface PeerAlignmentOptions {
  /** A peer whose moving average falls below this is left out of the aggregate. */
  readonly threshold: number
  /** Weight of the past in the moving average (0.9: a round counts a tenth). */
  readonly decay: number
  /** Rounds a peer is seen before its average can leave it out. */
  readonly warmupRounds: number
}

/**
 * Remembers, per peer, how its update lines up with the round's robust direction: the cosine of
 * (peer's model − the round's start) with (coordinate-wise median of the node's inputs − start),
 * as a moving average; a peer whose average is below the threshold after its warm-up is left
 * out of the aggregate. Experimental (simulation only): scripts/robustness/alignment-probe.ts
 * measured the signal; what it gains against an attacker that keeps just above the threshold is
 * measured with `undo-progress:floor=T` and `own-loss:floor=T`.
 */
export class PeerAlignmentMemory {
  readonly #options: PeerAlignmentOptions
  readonly #peers = new Map<string, { average: number, rounds: number }>()

  constructor (options: PeerAlignmentOptions) {
    this.#options = options
  }

  /** Update each peer's average with this round's models, and return those to aggregate. */
  select<T extends { readonly peerId: string, readonly weights: Float32Array }> (start: Float32Array, own: Float32Array, peers: readonly T[]): T[] {
    if (peers.length === 0) return []
    const median = coordinateMedian([own, ...peers.map(p => p.weights)])
    const { threshold, decay, warmupRounds } = this.#options
    return peers.filter(peer => {
      const cosine = updateCosine(peer.weights, median, start)
      const known = this.#peers.get(peer.peerId)
      const next = known === undefined
        ? { average: cosine, rounds: 1 }
        : { average: Number.isFinite(cosine) ? decay * known.average + (1 - decay) * cosine : known.average, rounds: known.rounds + 1 }
      this.#peers.set(peer.peerId, next)
      return next.rounds < warmupRounds || next.average >= threshold
    })
  }
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
