import { clippedUpdateWeights } from './clipping.ts'
import { coordinateMedian } from './coordinate-median.ts'
import { AggregationPreconditionError } from './errors.ts'
import { checkCount, checkInputs, checkPositive } from './inputs.ts'
import { streamPass } from './streaming-pass.ts'

/** Options of {@link centeredClipping}. */
export interface CenteredClippingOptions {
  /** Byzantine inputs to survive; only checked (k >= 2f+1). @default 0 */
  readonly f?: number
  /** Starting centre v₀ (not mutated). @default the coordinate-wise median of the inputs */
  readonly center?: Float32Array
  /** Clipping radius τ, in parameter units. @default 10 (bucketing repository, MNIST; docs/robustness-literature.md section 1) */
  readonly tau?: number
  /** Clipping iterations L. @default 3 (same source) */
  readonly iterations?: number
}

/** Default clipping radius, see {@link CenteredClippingOptions.tau}. */
export const CENTERED_CLIPPING_TAU = 10
/** Default iterations, see {@link CenteredClippingOptions.iterations}. */
export const CENTERED_CLIPPING_ITERATIONS = 3

/**
 * Centered clipping (Karimireddy, He, Jaggi, ICML 2021, https://arxiv.org/abs/2012.10333):
 * L times, v ← v + (1/k) Σᵢ clip(xᵢ − v, τ) with clip(u, τ) = u·min(1, τ/‖u‖).
 *
 * The paper's centre is the previous aggregate (with worker momentum); a gossip node has no
 * such state in a pure function, so the default centre is the coordinate-wise median of the
 * inputs (the registry can use the node's own model instead).
 *
 * Guarantee: each iteration moves v by at most τ, whatever the inputs, so ‖output − v₀‖ <= Lτ;
 * the paper proves convergence for a small constant fraction of Byzantine inputs with
 * momentum. Precondition: an honest majority, k >= 2f+1; τ > 0; L >= 1.
 * Cost: O(L·k·d), L + 1 passes (distances fused into each update); extra memory: the output.
 * @throws AggregationPreconditionError when the precondition fails or the lengths differ.
 */
export function centeredClipping (inputs: readonly Float32Array[], options: CenteredClippingOptions = {}): Float32Array {
  const f = options.f ?? 0
  const tau = options.tau ?? CENTERED_CLIPPING_TAU
  const iterations = options.iterations ?? CENTERED_CLIPPING_ITERATIONS
  checkCount('centered clipping', 'f', f, 0)
  checkCount('centered clipping', 'iterations', iterations, 1)
  checkPositive('centered clipping', 'tau', tau)
  const d = checkInputs('centered clipping', inputs, 2 * f + 1, `k >= 2f+1 with f = ${f}`)
  if (options.center !== undefined && options.center.length !== d) {
    throw new AggregationPreconditionError(`centered clipping: center has ${options.center.length} values, the inputs ${d}`)
  }
  const k = inputs.length
  const v = options.center?.slice() ?? coordinateMedian(inputs)
  const vectors = [v, ...inputs]
  const mix = new Float64Array(k).fill(1 / k)
  let squared = streamPass(inputs, { target: v, measure: k })
  for (let l = 0; l < iterations; l++) {
    const weights = clippedUpdateWeights(squared.map(Math.sqrt), mix, tau)
    // vectors[0] is v itself: the pass reads each block of v before overwriting it.
    const all = streamPass(vectors, { weights, target: v, measure: l + 1 < iterations ? k + 1 : 0 })
    squared = all.subarray(1)
  }
  return v
}
