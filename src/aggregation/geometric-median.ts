import { coordinateMedian } from './coordinate-median.ts'
import { checkCount, checkInputs, checkPositive } from './inputs.ts'
import { streamPass } from './streaming-pass.ts'

/** Options of {@link geometricMedian}. */
export interface GeometricMedianOptions {
  /** Byzantine inputs to survive; only checked (k >= 2f+1). @default 0 */
  readonly f?: number
  /**
   * Weiszfeld iterations, a fixed count. @default 8, as RFA in the ClippedGossip and
   * bucketing repositories (docs/robustness-literature.md section 1)
   */
  readonly iterations?: number
  /** Smoothing ν: distances below it count as ν. @default 0.1 (ByzFL, RFA; same notes) */
  readonly nu?: number
}

/** Default Weiszfeld iterations, see {@link GeometricMedianOptions.iterations}. */
export const GEOMETRIC_MEDIAN_ITERATIONS = 8
/** Default smoothing, see {@link GeometricMedianOptions.nu}. */
export const GEOMETRIC_MEDIAN_NU = 0.1

/**
 * Geometric median by smoothed Weiszfeld: RFA (Pillutla, Kakade, Harchaoui, IEEE TSP 2022,
 * https://arxiv.org/abs/1912.13445). Each iteration sets
 * z ← Σ βᵢxᵢ / Σ βᵢ with βᵢ = 1 / max(ν, ‖z − xᵢ‖), uniform input weights.
 *
 * It starts from the coordinate-wise median rather than the mean: with a fixed iteration count
 * and inputs of ±1e30, each step from the mean only shrinks the outliers' pull by about
 * f/(k − f), so 8 steps would leave the estimate about 1e25 away.
 *
 * Guarantee: breakdown point 1/2. Each step is a majorise-minimise step on the smoothed sum of
 * distances, which never increases, so with at most f Byzantine inputs, honest inputs within r
 * of their mean c and the start z₀, the output z satisfies
 * (k − 2f)‖z − c‖ <= k‖z₀ − c‖ + 2(k − f)r + kν/2.
 * Precondition: k >= 2f+1, iterations >= 1, ν > 0. Cost: O(T·k·d), T + 1 passes (distances
 * are fused into each update pass) plus the median; extra memory: the output.
 * Non-finite inputs: a weight that is not a positive finite number counts as 0; if no weight
 * is left the iteration stops where it is.
 * @throws AggregationPreconditionError when the precondition fails or the inputs differ in length.
 */
export function geometricMedian (inputs: readonly Float32Array[], options: GeometricMedianOptions = {}): Float32Array {
  const f = options.f ?? 0
  const iterations = options.iterations ?? GEOMETRIC_MEDIAN_ITERATIONS
  const nu = options.nu ?? GEOMETRIC_MEDIAN_NU
  checkCount('geometric median', 'f', f, 0)
  checkCount('geometric median', 'iterations', iterations, 1)
  checkPositive('geometric median', 'nu', nu)
  checkInputs('geometric median', inputs, 2 * f + 1, `k >= 2f+1 with f = ${f}`)
  const k = inputs.length
  const z = coordinateMedian(inputs)
  let squared = streamPass(inputs, { target: z, measure: k })
  const weights = new Float64Array(k)
  for (let t = 0; t < iterations; t++) {
    let total = 0
    for (let i = 0; i < k; i++) {
      const beta = 1 / Math.max(nu, Math.sqrt(squared[i] as number))
      weights[i] = beta > 0 && Number.isFinite(beta) ? beta : 0
      total += weights[i] as number
    }
    if (!(total > 0) || !Number.isFinite(total)) break
    for (let i = 0; i < k; i++) weights[i] = (weights[i] as number) / total
    squared = streamPass(inputs, { weights, target: z, measure: t + 1 < iterations ? k : 0 })
  }
  return z
}
