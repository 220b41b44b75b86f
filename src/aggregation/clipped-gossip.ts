import { clippedUpdateWeights } from './clipping.ts'
import { AggregationPreconditionError } from './errors.ts'
import { checkCount, checkInputs } from './inputs.ts'
import { streamPass } from './streaming-pass.ts'

/** Options of {@link clippedGossip}. */
export interface ClippedGossipOptions {
  /** Byzantine peers to survive (δ = f/k of the mixing weight). */
  readonly f: number
  /**
   * Clipping radius τ in parameter units, or `'adaptive'` for He et al.'s rule as coded by
   * Gaucher et al. (`cs_he`, docs/robustness-literature.md section 1). @default 'adaptive'
   */
  readonly tau?: number | 'adaptive'
}

/**
 * The adaptive radius of ClippedGossip (`cs_he` in Gaucher et al.'s code) for uniform weights
 * 1/k: τ = sqrt(Σ of the k − f − 1 smallest squared distances, the node's own 0 included, / f).
 * f = 0 gives +Infinity (plain gossip); k − f − 1 <= 0 gives 0 (no communication).
 */
export function clippedGossipRadius (distances: ArrayLike<number>, f: number): number {
  const k = distances.length
  if (f === 0) return Infinity
  const kept = k - f - 1
  if (kept <= 0) return 0
  const sorted = Float64Array.from(distances, x => Number.isNaN(x) ? Infinity : x).sort()
  let sum = 0
  for (let i = 0; i < kept; i++) sum += (sorted[i] as number) ** 2
  return Math.sqrt(sum / f)
}

/**
 * Self-centred clipping / ClippedGossip (He, Karimireddy, Jaggi 2022,
 * https://arxiv.org/abs/2202.01545): the node's own model x is the centre,
 * x ← x + Σⱼ Wⱼ·clip(xⱼ − x, τ), with uniform gossip weights Wⱼ = 1/k over the node and its
 * k − 1 peers (the complete-graph weights; the paper allows any mixing matrix).
 *
 * Guarantee: converges to an O(δ_max·ζ²/γ²) neighbourhood of a stationary point (δ the
 * Byzantine mixing weight, ζ² the heterogeneity, γ the spectral gap); no honest majority is
 * needed per node. With the adaptive τ and at most f Byzantine peers whose honest peers lie
 * within M of x, ‖output − x‖ <= ((k − 1 − f)·M + f·τ_H)/k with
 * τ_H = M·sqrt((k − f − 1)/f). Precondition: k >= f + 2 (own, f Byzantine, one honest peer).
 * Cost: O(kd), two passes, plus a sort of k distances; extra memory: the output.
 * @throws AggregationPreconditionError when the precondition fails or the lengths differ.
 */
export function clippedGossip (own: Float32Array, peers: readonly Float32Array[], options: ClippedGossipOptions): Float32Array {
  const { f } = options
  const tauOption = options.tau ?? 'adaptive'
  checkCount('clipped gossip', 'f', f, 0)
  if (tauOption !== 'adaptive' && (!(tauOption > 0) || !Number.isFinite(tauOption))) {
    throw new AggregationPreconditionError(`clipped gossip: tau must be 'adaptive' or a finite number > 0, got ${tauOption}`)
  }
  const vectors = [own, ...peers]
  checkInputs('clipped gossip', vectors, f + 2, `k >= f+2 with f = ${f}, own model included`)
  const k = vectors.length
  const distances = streamPass(vectors, { measure: k, centre: 0 }).map(Math.sqrt)
  const tau = tauOption === 'adaptive' ? clippedGossipRadius(distances, f) : tauOption
  const weights = clippedUpdateWeights(distances.subarray(1), new Float64Array(k - 1).fill(1 / k), tau)
  const out = new Float32Array(own.length)
  streamPass(vectors, { weights, target: out })
  return out
}
