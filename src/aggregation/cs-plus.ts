import { clippedUpdateWeights } from './clipping.ts'
import { checkCount, checkInputs } from './inputs.ts'
import { streamPass } from './streaming-pass.ts'

/** Options of {@link csPlus}. */
export interface CsPlusOptions {
  /** Byzantine peers to survive (Byzantine weight f/k). */
  readonly f: number
}

/**
 * The CS+ clipping threshold for uniform weights 1/k: the distance at the weighted quantile
 * total − 2·Byzantine weight, i.e. the (k − 2f)-th smallest distance, the node's own 0 included
 * (`cs_plus` in Gaucher et al.'s code, whose weighted search reduces to this index exactly
 * when the weights are equal). f = 0 gives +Infinity; k <= 2f gives 0.
 */
export function csPlusThreshold (distances: ArrayLike<number>, f: number): number {
  const k = distances.length
  if (f === 0) return Infinity
  const rank = k - 2 * f - 1
  if (rank < 0) return 0
  const sorted = Float64Array.from(distances, x => Number.isNaN(x) ? Infinity : x).sort()
  return sorted[rank] as number
}

/**
 * CS+ robust gossip, CS+-RG (Gaucher, Dieuleveut, Hendrikx, ICML 2025,
 * https://arxiv.org/abs/2410.10418): ClippedGossip's update x ← x + Σⱼ Wⱼ·clip(xⱼ − x, τ) with
 * uniform weights 1/k and τ the distance at the weighted quantile total − 2·Byzantine weight
 * ({@link csPlusThreshold}).
 *
 * Guarantee: near-optimal breakdown point for robust gossip (paper abstract). With at most f
 * Byzantine peers, τ is at most the farthest honest peer's distance M, so
 * ‖output − x‖ <= (k − 1)/k·M. It over-clips when fewer than f peers are Byzantine, and with
 * k <= 2f + 1 it reduces to keeping the own model (docs/robustness-literature.md section 6).
 * Precondition: k >= 2f + 2, own model included. Cost: O(kd + k log k), two passes; extra
 * memory: the output.
 * @throws AggregationPreconditionError when the precondition fails or the lengths differ.
 */
export function csPlus (own: Float32Array, peers: readonly Float32Array[], options: CsPlusOptions): Float32Array {
  const { f } = options
  checkCount('cs-plus', 'f', f, 0)
  const vectors = [own, ...peers]
  checkInputs('cs-plus', vectors, 2 * f + 2, `k >= 2f+2 with f = ${f}, own model included`)
  const k = vectors.length
  const distances = streamPass(vectors, { measure: k, centre: 0 }).map(Math.sqrt)
  const tau = csPlusThreshold(distances, f)
  const weights = clippedUpdateWeights(distances.subarray(1), new Float64Array(k - 1).fill(1 / k), tau)
  const out = new Float32Array(own.length)
  streamPass(vectors, { weights, target: out })
  return out
}
