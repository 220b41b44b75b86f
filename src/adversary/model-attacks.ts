/**
 * Byzantine models crafted from the honest ones: the attacks of the robustness benchmark.
 * Pure functions over Float32Array; defaults from docs/robustness-literature.md section 2.
 * Each returns a new array and never mutates its inputs.
 */
import { AggregationPreconditionError } from '../aggregation/index.ts'
import { checkInputs } from '../aggregation/index.ts'
import { coordinateStatistics, honestMean } from './statistics.ts'

/** Gaussian attack's default standard deviation (ByzFL `Gaussian(mu=0, sigma=1)`). */
export const GAUSSIAN_SIGMA = 1
/** IPM's default ε (Xie et al. 2019; bucketing, CenteredClip and ClippedGossip repositories). */
export const IPM_EPSILON = 0.1
/** Dissensus's default ε: reverses half the target's gossip step (ClippedGossip `run.sh`, `dissensus1.5`). */
export const DISSENSUS_EPSILON = 1.5

/**
 * Sign flipping: the negated honest mean, −x̄_H (ByzFL `SignFlipping`, in model space).
 * @throws AggregationPreconditionError when there are no honest models or their lengths differ.
 */
export function signFlipModel (honest: readonly Float32Array[]): Float32Array {
  return honestMean(honest).map(v => -v)
}

/**
 * Gaussian noise: x̄_H + N(0, σ²) per coordinate (ByzFL `Gaussian`, centred on the honest mean
 * as in the reference simulation). `normal` draws standard normal numbers (seed it).
 */
export function gaussianModel (honest: readonly Float32Array[], normal: () => number, sigma: number = GAUSSIAN_SIGMA): Float32Array {
  return honestMean(honest).map(v => v + sigma * normal())
}

/**
 * A little is enough (ALIE; Baruch, Baruch & Goldberg, NeurIPS 2019,
 * https://arxiv.org/abs/1902.06156): μ − z·σ, with μ and σ the coordinate-wise mean and
 * standard deviation of the honest models. Default z: {@link alieDefaultZ}; z = 10 as in the
 * ClippedGossip decentralised runs ("ALIE10").
 */
export function alieModel (honest: readonly Float32Array[], z: number): Float32Array {
  const { mean, std } = coordinateStatistics(honest)
  const model = new Float32Array(mean.length)
  // A plain loop: `map` with a callback costs several times more.
  for (let j = 0; j < mean.length; j++) model[j] = (mean[j] as number) - z * (std[j] as number)
  return model
}

/**
 * Inner product manipulation (IPM; Xie, Koyejo & Gupta, UAI 2019,
 * https://arxiv.org/abs/1903.03936): −ε·x̄_H, default ε = {@link IPM_EPSILON}.
 */
export function ipmModel (honest: readonly Float32Array[], epsilon: number = IPM_EPSILON): Float32Array {
  return honestMean(honest).map(v => -epsilon * v)
}

/**
 * Dissensus (He, Karimireddy & Jaggi 2022, https://arxiv.org/abs/2202.01545, section 5):
 * x_byz = x_t − ε·Σ_{honest j ≠ t} W_tj (x_j − x_t) / Σ_byz W_tb, which cancels (ε = 1) or
 * reverses (ε > 1) target t's gossip step. With uniform weights, as every meshtrain rule
 * gives its inputs, the ratio of weights is 1/`byzantine`. `others` are the honest models other
 * than the target's.
 * @throws AggregationPreconditionError when byzantine < 1 or lengths differ.
 */
export function dissensusModel (target: Float32Array, others: readonly Float32Array[], byzantine: number, epsilon: number = DISSENSUS_EPSILON): Float32Array {
  if (!Number.isInteger(byzantine) || byzantine < 1) throw new AggregationPreconditionError(`dissensus: byzantine must be an integer >= 1, got ${byzantine}`)
  const d = checkInputs('dissensus', [target, ...others], 1, 'a target model')
  const out = new Float32Array(d)
  const scale = epsilon / byzantine
  for (let j = 0; j < d; j++) {
    const t = target[j] as number
    let step = 0
    for (const x of others) step += (x[j] as number) - t
    out[j] = t - scale * step
  }
  return out
}
