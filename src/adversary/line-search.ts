/**
 * Adaptive attacks: pick the factor of a one-parameter attack by line search against the rule in
 * use, maximising how far the aggregate lands from the honest mean (ByzFL's `Optimal_*` attacks;
 * Gaucher et al. 2025's negative `factor`; docs/robustness-literature.md section 2).
 */
import type { Aggregator } from '../aggregation/index.ts'
import { IPM_EPSILON } from './model-attacks.ts'
import { alieDefaultZ, coordinateStatistics } from './statistics.ts'

/** The search's defaults, ByzFL's `Optimal_ALittleIsEnough` (evals=20, start=0, delta=10, ratio=0.8). */
export const LINE_SEARCH_DEFAULTS = Object.freeze({ evaluations: 20, start: 0, delta: 10, ratio: 0.8 })

export interface LineSearchOptions {
  /** Objective evaluations in all. @default 20 */
  readonly evaluations?: number
  /** First factor tried. @default 0 */
  readonly start?: number
  /** First step. @default 10 */
  readonly delta?: number
  /** The step shrinks by this after a step that improved nothing in either direction. @default 0.8 */
  readonly ratio?: number
}

/**
 * Maximise `objective` over one real factor: from `start`, try one step up, then one down; keep
 * any that improves, otherwise shrink the step by `ratio`. Uses exactly `evaluations` calls.
 * @returns the best factor found and its objective.
 */
export function lineSearch (objective: (factor: number) => number, options: LineSearchOptions = {}): { factor: number, value: number } {
  const { evaluations, start, delta, ratio } = { ...LINE_SEARCH_DEFAULTS, ...options }
  let factor = start
  let value = objective(start)
  let step = delta
  let used = 1
  while (used < evaluations) {
    let moved = false
    for (const candidate of [factor + step, factor - step]) {
      if (used >= evaluations) break
      const v = objective(candidate)
      used++
      if (v > value) {
        factor = candidate
        value = v
        moved = true
        break
      }
    }
    if (!moved) step *= ratio
  }
  return { factor, value }
}

/**
 * `objective` that computes each factor's value once: a search's grid and its line search, and a
 * line search's steps, come back to factors already tried (a line search starts at the best grid
 * factor; from factor a with step a/2 it tries a/2, a grid factor; after a move it tries where it
 * came from), and each evaluation runs the rule. The same values, so the same search.
 */
export function rememberingObjective (objective: (factor: number) => number): (factor: number) => number {
  const known = new Map<number, number>()
  return factor => {
    let value = known.get(factor)
    if (value === undefined) known.set(factor, value = objective(factor))
    return value
  }
}

/**
 * The aggregate an honest node would compute if the `byzantine` attackers all sent `attack`:
 * the rule in use with the first honest model as the node's own and the others plus the attack
 * copies as its peers (the view of a node that aggregates every peer).
 */
export function honestView (aggregator: Aggregator, honest: readonly Float32Array[], attack: Float32Array, byzantine: number): Float32Array {
  return honestViewOf(aggregator, honest, byzantine)(attack)
}

/**
 * {@link honestView} as a function of the attack, for a search that tries many: the rule's
 * {@link Aggregator.withRepeatedInput}, the same aggregates bit for bit, with the work that only
 * the honest models decide done once.
 */
export function honestViewOf (aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number): (attack: Float32Array) => Float32Array {
  const [own, ...rest] = honest
  if (own === undefined) throw new RangeError('honestView: no honest model')
  return aggregator.withRepeatedInput(own, rest, byzantine)
}

/** base + factor·direction, each coordinate rounded to float32 (as `base.map` would). */
export function alongDirection (base: Float32Array, direction: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(base.length)
  for (let j = 0; j < out.length; j++) out[j] = (base[j] as number) + factor * (direction[j] as number)
  return out
}

function squaredDistance (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let j = 0; j < a.length; j++) {
    const d = (a[j] as number) - (b[j] as number)
    sum += d * d
  }
  return sum
}

/**
 * Line-search a factor of `direction` around `base`: the attack is base + factor·direction, and
 * the factor maximises ‖aggregate − x̄_H‖² under `aggregator`. Non-finite aggregates score −∞.
 * With too few honest models for the rule to run (an attacker that heard few peers before its
 * deadline), there is nothing to search against: the attack's fixed `fallback` factor is used.
 */
export function adaptiveModel (
  aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, base: Float32Array, direction: Float32Array,
  fallback: number, options: LineSearchOptions = {}
): { model: Float32Array, factor: number } {
  const craft = (factor: number): Float32Array => alongDirection(base, direction, factor)
  if (honest.length + byzantine < aggregator.minInputs) return { model: craft(fallback), factor: fallback }
  const { mean } = coordinateStatistics(honest)
  const view = honestViewOf(aggregator, honest, byzantine)
  const { factor } = lineSearch(rememberingObjective(f => {
    const d = squaredDistance(view(craft(f)), mean)
    return Number.isFinite(d) ? d : -Infinity
  }), options)
  return { model: craft(factor), factor }
}

/**
 * ALIE with a line-searched z: μ − z·σ, z chosen against the rule (ByzFL `Optimal_ALittleIsEnough`);
 * the paper's z when too few honest models are in to search.
 */
export function adaptiveAlieModel (aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, options: LineSearchOptions = {}): { model: Float32Array, factor: number } {
  const { mean, std } = coordinateStatistics(honest)
  const paperZ = alieDefaultZ(honest.length + byzantine, byzantine)
  return adaptiveModel(aggregator, honest, byzantine, mean, std.map(s => -s), paperZ, options)
}

/**
 * IPM with a line-searched ε: −ε·x̄_H, ε chosen against the rule (ByzFL `Optimal_InnerProductManipulation`);
 * ε = 0.1 when too few honest models are in to search.
 */
export function adaptiveIpmModel (aggregator: Aggregator, honest: readonly Float32Array[], byzantine: number, options: LineSearchOptions = {}): { model: Float32Array, factor: number } {
  const { mean } = coordinateStatistics(honest)
  return adaptiveModel(aggregator, honest, byzantine, new Float32Array(mean.length), mean.map(v => -v), IPM_EPSILON, options)
}
