/**
 * Adaptive attacks whose objective is not the aggregate's distance from the honest mean: they
 * search a tight cluster (every attacker sends the same model) along several directions, each
 * with a line-searched factor against the exact rule in use, and keep the model that scores best.
 */
import { coordinateMedian, coordinateMedianWithRepeatedInput } from '../aggregation/index.ts'
import type { Aggregator } from '../aggregation/index.ts'
import { updateCosine } from '../round/index.ts'
import { alongDirection, honestViewOf, lineSearch, rememberingObjective } from './line-search.ts'
import { coordinateStatistics, norm, topPrincipalDirection } from './statistics.ts'

/**
 * Each direction's search, factors in units of the honest update's norm: first a grid of both
 * signs of 2^-2 ... 2^5 (robust rules leave plateaus that a local search from 0 cannot climb
 * off), then a line search of `refine` evaluations from the best grid factor with a first step of
 * half of it.
 */
export const OBJECTIVE_SEARCH = Object.freeze({ grid: [0.25, 0.5, 1, 2, 4, 8, 16, 32] as readonly number[], refine: 8 })

export interface ObjectiveSearchOptions {
  /** Factor magnitudes tried, each with both signs. */
  readonly grid?: readonly number[]
  /** Line-search evaluations after the grid. */
  readonly refine?: number
  /**
   * Only models whose update (model − reference) has a cosine of at least this with the update of
   * the coordinate-wise median of the honest models and the attackers' copies (what a
   * peer-alignment memory measures, round/peer-alignment.ts); others score −∞.
   */
  readonly alignmentFloor?: number
  /** With the floor, a memory with `withOwn`: the higher of that cosine and the one with the first honest node's own update counts ({@link memoryAlignment}). */
  readonly alignmentWithOwn?: boolean
}

/**
 * The directions tried, each scaled to the honest update's length ‖μ − reference‖ (or, with
 * no update, to the honest spread's): the negated update −u, the honest models' top principal
 * direction (both signs, through the factor's sign), and ALIE's −σ. Zero directions are left out.
 */
export function searchDirections (honest: readonly Float32Array[], reference: Float32Array): Float32Array[] {
  const { mean, std } = coordinateStatistics(honest)
  const update = mean.map((m, j) => m - (reference[j] as number))
  const scale = norm(update) > 0 ? norm(update) : norm(std)
  const candidates = [update.map(v => -v), topPrincipalDirection(honest), std.map(v => -v)]
  return candidates.filter(d => norm(d) > 0).map(d => {
    const length = norm(d)
    return d.map(v => (v / length) * scale)
  })
}

/**
 * The best model μ + factor·direction over {@link searchDirections}, each factor searched
 * ({@link OBJECTIVE_SEARCH}) to maximise `objective` of the aggregate the first honest model's node would compute.
 * Non-finite objectives score −∞. With too few honest models for the rule to run, or no
 * direction to search, the honest mean is sent.
 */
export function directionalSearch (
  aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, reference: Float32Array,
  objective: (aggregate: Float32Array) => number, options: ObjectiveSearchOptions = {}
): { model: Float32Array, value: number } {
  const { grid, refine } = { ...OBJECTIVE_SEARCH, ...options }
  const { mean } = coordinateStatistics(honest)
  let best = { model: mean, value: -Infinity }
  if (honest.length + byzantine < aggregator.minInputs) return best
  const view = honestViewOf(aggregator, honest, byzantine)
  const floor = options.alignmentFloor
  const alignment = floor === undefined ? undefined : memoryAlignmentOf(honest, byzantine, reference, options.alignmentWithOwn === true)
  for (const direction of searchDirections(honest, reference)) {
    const craft = (factor: number): Float32Array => alongDirection(mean, direction, factor)
    const score = rememberingObjective(factor => {
      const model = craft(factor)
      if (alignment !== undefined && !(alignment(model) >= (floor as number))) return -Infinity
      const v = objective(view(model))
      return Number.isFinite(v) ? v : -Infinity
    })
    let start = { factor: 0, value: -Infinity }
    for (const magnitude of grid) {
      for (const factor of [magnitude, -magnitude]) {
        const value = score(factor)
        if (value > start.value) start = { factor, value }
      }
    }
    const { factor, value } = refine > 0 ? lineSearch(score, { start: start.factor, delta: Math.abs(start.factor) / 2, evaluations: refine, ratio: 0.5 }) : start
    if (value > best.value) best = { model: craft(factor), value }
  }
  return best
}

/** How `model`'s update lines up with that of the median of the honest models and `byzantine` copies of it (what a peer-alignment memory measures). */
export function medianAlignment (model: Float32Array, honest: readonly Float32Array[], byzantine: number, reference: Float32Array): number {
  const median = coordinateMedian([...honest, ...Array.from({ length: byzantine }, () => model)])
  return updateCosine(model, median, reference)
}

/**
 * What a peer-alignment memory measures of a model the attackers all send: {@link medianAlignment},
 * or with `withOwn` the higher of that and the cosine with the update of the first honest model,
 * the node whose aggregate the searches evaluate (each node measures against its own).
 */
export function memoryAlignment (model: Float32Array, honest: readonly Float32Array[], byzantine: number, reference: Float32Array, withOwn: boolean): number {
  return memoryAlignmentOf(honest, byzantine, reference, withOwn)(model)
}

/**
 * {@link memoryAlignment} as a function of the model, for a search that tries many against the
 * same honest models: the median of the honest models and the copies by
 * coordinateMedianWithRepeatedInput, the same values in O(d) a model.
 */
export function memoryAlignmentOf (honest: readonly Float32Array[], byzantine: number, reference: Float32Array, withOwn: boolean): (model: Float32Array) => number {
  const median = honest.length > 0 && byzantine > 0
    ? coordinateMedianWithRepeatedInput(honest, byzantine)
    : (model: Float32Array) => coordinateMedian([...honest, ...Array.from({ length: byzantine }, () => model)])
  return model => {
    const withMedian = updateCosine(model, median(model), reference)
    if (!withOwn || honest.length === 0) return withMedian
    const withOwnUpdate = updateCosine(model, honest[0] as Float32Array, reference)
    return Number.isNaN(withMedian) ? withOwnUpdate : Number.isNaN(withOwnUpdate) ? withMedian : Math.max(withMedian, withOwnUpdate)
  }
}

/**
 * Progress undone: the cluster that maximises −⟨aggregate − reference, μ − reference⟩, how far
 * the aggregate moves back against the honest mean's update (reference: the model the round
 * started from; the attacker's own start model stands in for it).
 */
export function undoProgressModel (aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, reference: Float32Array, options?: ObjectiveSearchOptions): Float32Array {
  const { mean } = coordinateStatistics(honest)
  const update = mean.map((m, j) => m - (reference[j] as number))
  return directionalSearch(aggregator, honest, byzantine, reference, aggregate => -progressAlong(aggregate, reference, update), options).model
}

/** ⟨aggregate − reference, update⟩ in float64, each difference rounded to float32 first (as a Float32Array of them would be). */
function progressAlong (aggregate: Float32Array, reference: Float32Array, update: Float32Array): number {
  let sum = 0
  for (let j = 0; j < aggregate.length; j++) sum += Math.fround((aggregate[j] as number) - (reference[j] as number)) * (update[j] as number)
  return sum
}

/** Loss on the attackers' own data: the cluster that maximises `loss` of the aggregate. */
export function ownLossModel (
  aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, reference: Float32Array,
  loss: (weights: Float32Array) => number, options?: ObjectiveSearchOptions
): Float32Array {
  return directionalSearch(aggregator, honest, byzantine, reference, loss, options).model
}
