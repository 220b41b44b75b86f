/**
 * Attacks that hide inside the honest models' spread by a distance constraint, and mimic: pure
 * functions over Float32Array, each returning a new array and never mutating its inputs.
 */
import { AggregationPreconditionError } from '../aggregation/index.ts'
import { checkInputs } from '../aggregation/index.ts'
import { coordinateStatistics, dot, norm, topPrincipalDirection } from './statistics.ts'

/**
 * The direction min-max and min-sum push along: the unit vector of the honest mean's update
 * μ − reference (the paper's "inverse unit vector", which they subtract), or, when the update
 * is zero or no reference is given, the unit vector of the coordinate-wise standard deviation
 * ("inverse std"). Zero only when every honest model is the reference.
 */
export function updateDirection (honest: readonly Float32Array[], reference?: Float32Array): Float32Array {
  const { mean, std } = coordinateStatistics(honest)
  const update = reference === undefined ? new Float32Array(mean.length) : mean.map((m, j) => m - (reference[j] as number))
  const chosen = norm(update) > 0 ? update : std
  const length = norm(chosen)
  return length === 0 ? chosen : chosen.map(v => v / length)
}

/** μ − γ·e with a = μ − x_i per honest model: the constraint's terms. */
function offsets (honest: readonly Float32Array[], mean: Float32Array): Float32Array[] {
  return honest.map(x => mean.map((m, j) => m - (x[j] as number)))
}

function squaredDistance (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let j = 0; j < a.length; j++) sum += ((a[j] as number) - (b[j] as number)) ** 2
  return sum
}

/**
 * Min-max (Shejwalkar & Houmansadr, NDSS 2021, https://www.ndss-symposium.org/ndss-paper/manipulating-the-byzantine-optimizing-model-poisoning-attacks-and-defenses-for-federated-learning/):
 * μ − γ·e with the largest γ for which the model is no farther from any honest model than the
 * honest models are from each other (max_i ‖m − x_i‖ ≤ max_{i,j} ‖x_i − x_j‖). The paper
 * finds γ by halving; the constraint is a quadratic in γ per honest model, so this solves it:
 * γ = min_i ⟨a_i, e⟩ + sqrt(⟨a_i, e⟩² − ‖a_i‖² + D²), a_i = μ − x_i.
 * @param direction a unit vector, e.g. {@link updateDirection}.
 * @throws AggregationPreconditionError when there are no honest models or lengths differ.
 */
export function minMaxModel (honest: readonly Float32Array[], direction: Float32Array): Float32Array {
  checkInputs('min-max', [...honest, direction], 2, 'at least one honest model and a direction')
  const { mean } = coordinateStatistics(honest)
  let bound = 0
  for (let i = 0; i < honest.length; i++) {
    for (let j = i + 1; j < honest.length; j++) bound = Math.max(bound, squaredDistance(honest[i] as Float32Array, honest[j] as Float32Array))
  }
  let gamma = Infinity
  for (const a of offsets(honest, mean)) {
    const ae = dot(a, direction)
    gamma = Math.min(gamma, ae + Math.sqrt(Math.max(0, ae * ae - dot(a, a) + bound)))
  }
  return mean.map((m, j) => m - gamma * (direction[j] as number))
}

/**
 * Min-sum (Shejwalkar & Houmansadr, NDSS 2021): μ − γ·e with the largest γ for which the sum of
 * squared distances to the honest models is at most the largest such sum of an honest model
 * (Σ_i ‖m − x_i‖² ≤ max_i Σ_j ‖x_i − x_j‖²). Since Σ_i a_i = 0 the sum is Σ‖a_i‖² + kγ², so
 * γ = sqrt((S − Σ‖a_i‖²)/k) exactly.
 * @param direction a unit vector, e.g. {@link updateDirection}.
 * @throws AggregationPreconditionError when there are no honest models or lengths differ.
 */
export function minSumModel (honest: readonly Float32Array[], direction: Float32Array): Float32Array {
  checkInputs('min-sum', [...honest, direction], 2, 'at least one honest model and a direction')
  const { mean } = coordinateStatistics(honest)
  let bound = 0
  for (const x of honest) bound = Math.max(bound, honest.reduce((s, y) => s + squaredDistance(x, y), 0))
  const spread = offsets(honest, mean).reduce((s, a) => s + dot(a, a), 0)
  const gamma = Math.sqrt(Math.max(0, bound - spread) / honest.length)
  return mean.map((m, j) => m - gamma * (direction[j] as number))
}

/**
 * Mimic (Karimireddy, He & Jaggi, ICLR 2022, https://arxiv.org/abs/2006.09365, section 6):
 * every attacker copies one honest model, the one farthest along the honest models' top
 * principal direction, which over-weights that node's data (its heterogeneity) without ever
 * leaving the honest set.
 * @throws AggregationPreconditionError when there are no honest models or lengths differ.
 */
export function mimicModel (honest: readonly Float32Array[]): Float32Array {
  if (honest.length === 0) throw new AggregationPreconditionError('mimic: needs at least one honest model')
  const { mean } = coordinateStatistics(honest)
  const v = topPrincipalDirection(honest)
  let chosen = honest[0] as Float32Array
  let best = -Infinity
  for (const x of honest) {
    const along = Math.abs(dot(x.map((value, j) => value - (mean[j] as number)), v))
    if (along > best) { best = along; chosen = x }
  }
  return Float32Array.from(chosen)
}
