/**
 * The rule registry: names a manifest may use, each rule's settings with their defaults, its
 * precondition as a minimum number of inputs, and its proven Byzantine bound.
 */
import { adaptiveRobustClipping } from './adaptive-clipping.ts'
import { bucketMeans, bucketing } from './bucketing.ts'
import { CENTERED_CLIPPING_ITERATIONS, CENTERED_CLIPPING_TAU, centeredClipping } from './centered-clipping.ts'
import { clippedGossip } from './clipped-gossip.ts'
import { coordinateMedian } from './coordinate-median.ts'
import { csPlus } from './cs-plus.ts'
import { AggregationPreconditionError, AggregationSpecError } from './errors.ts'
import { GEOMETRIC_MEDIAN_ITERATIONS, GEOMETRIC_MEDIAN_NU, geometricMedian } from './geometric-median.ts'
import { CS_PLUS_BOUND, HONEST_RANGE, NNM_HONEST_RANGE_BOUND, centeredClippingBound, clippedGossipBound, geometricMedianBound } from './guarantees.ts'
import type { ByzantineBound } from './guarantees.ts'
import { krum, multiKrum } from './krum.ts'
import { mean } from './mean.ts'
import { ruleAfterNearestNeighbourMixing } from './nearest-neighbour-mixing.ts'
import { ruleAfterMixingWithRepeatedInput } from './repeated-input.ts'
import type { RepeatedInputRule } from './repeated-input.ts'
import { SpecReader, show } from './spec-reader.ts'
import { trimmedMean } from './trimmed-mean.ts'
import { clampAggregate } from './weight-bound.ts'

/** An aggregation rule set up from a manifest's `aggregation` object. */
export interface Aggregator {
  readonly name: string
  /** Byzantine inputs the rule is set to survive (from the spec, default per rule; mean: 0). */
  readonly f: number
  /** Fewest inputs, the node's own model included, for which the precondition holds. */
  readonly minInputs: number
  /** The precondition in words, e.g. `k >= 2f+1`. */
  readonly requirement: string
  /** Whether the node's own model is the centre (ClippedGossip, CS+, any rule with `arc`) rather than one input among equals. */
  readonly ownCentred: boolean
  /** Where the output is proven to stay with at most f Byzantine inputs. */
  readonly bound: ByzantineBound
  /**
   * The peer-alignment memory the round loop keeps in front of the rule (src/round/peer-alignment.ts;
   * the spec's `alignmentThreshold`, `alignmentDecay`, `alignmentWarmup`, `alignmentWithOwn`, `alignmentCeiling`), or undefined when the
   * spec turns none on. The rule itself never reads it.
   */
  readonly alignment: PeerAlignmentOptions | undefined
  /**
   * Combine the node's own model with its peers' models (all the same length), the result's
   * coordinates clamped to ±WEIGHT_BOUND (weight-bound.ts). Never mutates inputs. Throws
   * AggregationPreconditionError when own+peers < minInputs.
   */
  aggregate (own: Float32Array, peers: readonly Float32Array[]): Float32Array
  /**
   * `aggregate(own, [...peers, x, ..., x])` (`copies` copies of x) as a function of x, for
   * evaluating many x against the same fixed inputs (the adaptive attacks' searches): the same
   * result bit for bit, faster where the rule allows (after nearest-neighbour mixing, a
   * coordinate-wise rule: the fixed inputs' distances, and the groups of fixed inputs only, are
   * computed once; repeated-input.ts); the other rules call `aggregate`.
   * Throws AggregationPreconditionError when 1 + peers + copies < minInputs or copies < 1.
   */
  withRepeatedInput (own: Float32Array, peers: readonly Float32Array[], copies: number): RepeatedInputRule
}

/** Settings of the peer-alignment memory (src/round/peer-alignment.ts). */
export interface PeerAlignmentOptions {
  /** A peer whose moving average falls below this (a cosine, from -1 to 1) is left out of the aggregate. */
  readonly threshold: number
  /** Weight of the past in the moving average (0.9: a round counts a tenth). */
  readonly decay: number
  /** Rounds a peer is seen before its average can leave it out. */
  readonly warmupRounds: number
  /**
   * Whether a round's alignment is the higher of the peer's cosine with the median's update and
   * with the node's own update (`alignmentWithOwn`): colluders can pull the median against an
   * honest peer (the `frame` attack) but not the node's own update.
   */
  readonly withOwn: boolean
  /**
   * The most one round's alignment counts in the average (`alignmentCeiling`; 1: no ceiling). A
   * round of good behaviour then banks at most ceiling − threshold, so a peer that banks slack to
   * spend on rounds far below the threshold (the `slack=1` searches) can spend it less often.
   */
  readonly ceiling: number
}

/** `alignmentDecay` when the spec sets `alignmentThreshold` alone. */
export const ALIGNMENT_DECAY = 0.9
/** `alignmentWarmup` when the spec sets `alignmentThreshold` alone. */
export const ALIGNMENT_WARMUP_ROUNDS = 10

/** The memory's settings: on when the spec sets `alignmentThreshold`. */
function alignmentOf (spec: SpecReader): PeerAlignmentOptions | undefined {
  const on = spec.has('alignmentThreshold')
  const threshold = spec.number('alignmentThreshold', 0, -1, 1)
  const decay = spec.number('alignmentDecay', ALIGNMENT_DECAY, 0, 0.999)
  const warmupRounds = spec.integer('alignmentWarmup', ALIGNMENT_WARMUP_ROUNDS, 1, 10_000)
  const withOwn = spec.boolean('alignmentWithOwn', false)
  const ceiling = spec.number('alignmentCeiling', 1, -1, 1)
  if (on && ceiling <= threshold) throw new AggregationSpecError('aggregation.alignmentCeiling', `got ${ceiling}, allowed: a number above aggregation.alignmentThreshold (${threshold}), up to 1`)
  if (on) return { threshold, decay, warmupRounds, withOwn, ceiling }
  for (const key of ['alignmentDecay', 'alignmentWarmup', 'alignmentWithOwn', 'alignmentCeiling']) {
    if (spec.has(key)) throw new AggregationSpecError(`aggregation.${key}`, 'set without aggregation.alignmentThreshold, which turns the peer-alignment memory on; allowed: both or neither')
  }
  return undefined
}

/** Default f of the robust rules (and b of the trimmed mean): the built-in manifest's (`{ "rule": "trimmed-mean", "b": 1, "nnm": true }`). */
const DEFAULT_F = 1

interface BaseRule {
  readonly f: number
  readonly minInputs: number
  readonly requirement: string
  readonly bound: ByzantineBound
  /** Symmetric rules: one input list, the own model among them. */
  readonly symmetric?: (inputs: readonly Float32Array[]) => Float32Array
  /** True when each output coordinate depends only on that coordinate of the inputs. */
  readonly coordinateWise?: boolean
  /** Own-centred rules. */
  readonly centred?: (own: Float32Array, peers: readonly Float32Array[]) => Float32Array
}

type RuleFactory = (spec: SpecReader) => BaseRule

function readF (spec: SpecReader): number {
  return spec.integer('f', DEFAULT_F, 0)
}

const RULES: Readonly<Record<string, RuleFactory>> = {
  mean: spec => {
    const f = spec.integer('f', 0, 0, 0)
    return { f, minInputs: 1, requirement: 'k >= 1', bound: HONEST_RANGE, symmetric: mean, coordinateWise: true }
  },
  median: spec => {
    const f = readF(spec)
    return { f, minInputs: 2 * f + 1, requirement: 'k >= 2f+1', bound: HONEST_RANGE, symmetric: inputs => coordinateMedian(inputs, { f }), coordinateWise: true }
  },
  'trimmed-mean': spec => {
    // b defaults to f and f to b: the rule survives exactly b Byzantine inputs.
    const b = spec.integer('b', spec.has('f') ? readF(spec) : DEFAULT_F, 0)
    const f = spec.integer('f', b, 0)
    if (b < f) throw new AggregationSpecError('aggregation.b', `got ${b}, allowed: an integer >= aggregation.f (${f}); a trimmed mean survives at most b Byzantine inputs`)
    return { f, minInputs: 2 * b + 1, requirement: 'k >= 2b+1', bound: HONEST_RANGE, symmetric: inputs => trimmedMean(inputs, { b }), coordinateWise: true }
  },
  krum: spec => {
    const f = readF(spec)
    return { f, minInputs: 2 * f + 3, requirement: 'k >= 2f+3', bound: HONEST_RANGE, symmetric: inputs => krum(inputs, { f }) }
  },
  'multi-krum': spec => {
    const f = readF(spec)
    if (!spec.has('m')) {
      return { f, minInputs: 2 * f + 3, requirement: 'k >= 2f+3 (m = k − f)', bound: HONEST_RANGE, symmetric: inputs => multiKrum(inputs, { f }) }
    }
    const m = spec.integer('m', 1, 1)
    return { f, minInputs: Math.max(2 * f + 3, m + f), requirement: 'k >= max(2f+3, m+f)', bound: HONEST_RANGE, symmetric: inputs => multiKrum(inputs, { f, m }) }
  },
  'geometric-median': spec => {
    const f = readF(spec)
    const iterations = spec.integer('iterations', GEOMETRIC_MEDIAN_ITERATIONS, 1, 1000)
    const nu = spec.positive('nu', GEOMETRIC_MEDIAN_NU)
    return {
      f, minInputs: 2 * f + 1, requirement: 'k >= 2f+1', bound: geometricMedianBound(f, nu),
      symmetric: inputs => geometricMedian(inputs, { f, iterations, nu })
    }
  },
  'centered-clipping': spec => {
    const f = readF(spec)
    const tau = spec.positive('tau', CENTERED_CLIPPING_TAU)
    const iterations = spec.integer('iterations', CENTERED_CLIPPING_ITERATIONS, 1, 1000)
    const center = spec.choice('center', 'median', ['median', 'own'] as const)
    const bound = centeredClippingBound(tau, iterations)
    return center === 'median'
      ? { f, minInputs: 2 * f + 1, requirement: 'k >= 2f+1', bound, symmetric: inputs => centeredClipping(inputs, { f, tau, iterations }) }
      : { f, minInputs: 2 * f + 1, requirement: 'k >= 2f+1', bound, centred: (own, peers) => centeredClipping([own, ...peers], { f, tau, iterations, center: own }) }
  },
  'clipped-gossip': spec => {
    const f = readF(spec)
    const tau = spec.positiveOr('tau', 'adaptive', 'adaptive')
    return { f, minInputs: f + 2, requirement: 'k >= f+2', bound: clippedGossipBound(f, tau), centred: (own, peers) => clippedGossip(own, peers, { f, tau }) }
  },
  'cs-plus': spec => {
    const f = readF(spec)
    return { f, minInputs: 2 * f + 2, requirement: 'k >= 2f+2', bound: CS_PLUS_BOUND, centred: (own, peers) => csPlus(own, peers, { f }) }
  }
}

/** Every registered rule name, for error messages and the compliance suite. */
export const RULE_NAMES: readonly string[] = Object.freeze(Object.keys(RULES))

/** The rules `nnm: true` applies to: robust, symmetric, their output within the honest inputs' range. */
const NNM_RULES = ['median', 'trimmed-mean', 'krum', 'multi-krum'] as const

/** The rules `arc: true` applies to: coordinate-wise and robust, so that a clipped input stays one of the f they survive. */
const ARC_RULES = ['median', 'trimmed-mean'] as const

/** A bound over buckets, restated for the k inputs before bucketing. */
function bucketedBound (bound: ByzantineBound, buckets: (k: number) => number): ByzantineBound {
  if (bound.kind === 'honest-range') return bound
  // Honest bucket means lie in the honest inputs' convex hull, which every ball bound allows for.
  return { kind: 'ball', ball: (honest, k) => bound.ball(honest, buckets(k)) }
}

/**
 * Validate a manifest's aggregation object, e.g. `{ rule: 'trimmed-mean', b: 2 }`,
 * `{ rule: 'median', f: 1 }`, `{ rule: 'median', f: 1, bucketing: 2 }` or
 * `{ rule: 'median', f: 3, nnm: true }`, into an {@link Aggregator}. Common settings: `f`
 * (Byzantine inputs to survive; default 1, mean: 0), `bucketing` (bucket size s >= 2; 1 or
 * absent: none) and, with bucketing, `seed`; `nnm` (nearest-neighbour mixing with the rule's f
 * before a rule that stays in the honest range: median, trimmed-mean, krum, multi-krum); `arc`
 * (adaptive robust clipping of the peers around the node's own model before the rest, for median
 * and trimmed-mean; adaptive-clipping.ts);
 * `alignmentThreshold` (with `alignmentDecay`, `alignmentWarmup`, `alignmentWithOwn` and `alignmentCeiling`: the peer-alignment memory,
 * {@link Aggregator.alignment}).
 * @throws AggregationSpecError naming the setting (`aggregation.rule`, `aggregation.b`, ...),
 * the value given and what is allowed (for an unknown rule, the known rules).
 */
export function createAggregator (spec: Readonly<Record<string, unknown>> & { readonly rule: string }): Aggregator {
  const name: unknown = spec.rule
  const factory = typeof name === 'string' && Object.hasOwn(RULES, name) ? RULES[name] : undefined
  if (factory === undefined || typeof name !== 'string') {
    throw new AggregationSpecError('aggregation.rule', `unknown rule ${show(name)}, allowed: ${RULE_NAMES.map(n => `"${n}"`).join(', ')}`)
  }
  const reader = new SpecReader(spec)
  const base = factory(reader)
  const s = reader.integer('bucketing', 1, 1)
  const seed = s > 1 ? reader.integer('seed', 0, 0, 0xFFFF_FFFF) : 0
  const nnm = reader.boolean('nnm', false)
  const arc = reader.boolean('arc', false)
  const alignment = alignmentOf(reader)
  reader.rejectUnread(name)
  if (nnm && !(NNM_RULES as readonly string[]).includes(name)) {
    throw new AggregationSpecError('aggregation.nnm', `got true for rule "${name}", allowed only with ${NNM_RULES.map(n => `"${n}"`).join(', ')}`)
  }
  if (nnm && s > 1) throw new AggregationSpecError('aggregation.nnm', 'got true with aggregation.bucketing, allowed: one of the two')
  // A clipped Byzantine input still counts as one of f for a coordinate-wise rule, whose output stays
  // in the honest range; a rule that averages whole inputs it selects (Krum) could select it.
  if (arc && !(ARC_RULES as readonly string[]).includes(name)) {
    throw new AggregationSpecError('aggregation.arc', `got true for rule "${name}", allowed only with ${ARC_RULES.map(n => `"${n}"`).join(', ')}`)
  }

  let { minInputs, requirement, bound } = base
  let combine: (own: Float32Array, peers: readonly Float32Array[]) => Float32Array
  const symmetric = base.symmetric
  const centred = base.centred
  const f = base.f
  if (symmetric !== undefined) {
    combine = s > 1
      ? (own, peers) => bucketing([own, ...peers], symmetric, { s, seed, coordinateWise: base.coordinateWise === true })
      : nnm
        ? (own, peers) => ruleAfterNearestNeighbourMixing([own, ...peers], symmetric, { f, coordinateWise: base.coordinateWise === true })
        : (own, peers) => symmetric([own, ...peers])
    if (nnm) {
      requirement = `${base.requirement}, after nearest-neighbour mixing`
      bound = NNM_HONEST_RANGE_BOUND
    }
    if (s > 1) {
      minInputs = s * (base.minInputs - 1) + 1
      requirement = `${base.requirement} over ⌈k/${s}⌉ buckets`
      bound = bucketedBound(base.bound, k => Math.ceil(k / s))
    }
  } else if (centred !== undefined) {
    combine = s > 1
      ? (own, peers) => centred(own, bucketMeans(peers, { s, seed }))
      : centred
    if (s > 1) {
      minInputs = s * (base.minInputs - 2) + 2
      requirement = `${base.requirement} over own + ⌈(k−1)/${s}⌉ peer buckets`
      bound = bucketedBound(base.bound, k => 1 + Math.ceil((k - 1) / s))
    }
  } else {
    throw new Error(`rule ${name} defines no combine function`)
  }
  if (arc) {
    const rule = combine
    combine = (own, peers) => rule(own, adaptiveRobustClipping(own, peers, f))
    requirement = `${requirement}, after adaptive robust clipping around the own model`
  }

  const checkInputCount = (k: number): void => {
    if (k < minInputs) {
      throw new AggregationPreconditionError(`${name} with f=${f} needs at least ${minInputs} inputs (${requirement}), own model included; got ${k}`)
    }
  }
  const mixedRule = nnm && !arc && symmetric !== undefined && base.coordinateWise === true ? symmetric : undefined
  return Object.freeze({
    name,
    f,
    minInputs,
    requirement,
    ownCentred: centred !== undefined || arc,
    bound,
    alignment,
    aggregate (own: Float32Array, peers: readonly Float32Array[]): Float32Array {
      checkInputCount(1 + peers.length)
      return clampAggregate(combine(own, peers), own)
    },
    withRepeatedInput (own: Float32Array, peers: readonly Float32Array[], copies: number): RepeatedInputRule {
      if (!Number.isInteger(copies) || copies < 1) throw new AggregationPreconditionError(`${name}: copies must be an integer >= 1, got ${copies}`)
      checkInputCount(1 + peers.length + copies)
      if (mixedRule !== undefined) {
        const rule = ruleAfterMixingWithRepeatedInput([own, ...peers], copies, mixedRule, f)
        return x => clampAggregate(rule(x), own)
      }
      return x => clampAggregate(combine(own, [...peers, ...Array.from({ length: copies }, () => x)]), own)
    }
  })
}
