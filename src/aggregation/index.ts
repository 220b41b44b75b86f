/**
 * Robust aggregation: pure rules over Float32Array models, their registry, and the SIMD kernels
 * behind them. The rest of the project imports from here only.
 */
export { AggregationPreconditionError, AggregationSpecError } from './errors.ts'
export { ALIGNMENT_DECAY, ALIGNMENT_WARMUP_ROUNDS, RULE_NAMES, createAggregator } from './registry.ts'
export type { Aggregator, PeerAlignmentOptions } from './registry.ts'
export type { ByzantineBound, ProvenBall } from './guarantees.ts'
export { arenaBytes as kernelMemoryBytes } from './wasm-arena.ts'
export { compileWasm } from './wasm-module.ts'
export type { WasmMemory } from './wasm-module.ts'
export { WEIGHT_BOUND, clampAggregate } from './weight-bound.ts'

export { mean } from './mean.ts'
export { coordinateMedian } from './coordinate-median.ts'
export type { CoordinateMedianOptions } from './coordinate-median.ts'
export { trimmedMean } from './trimmed-mean.ts'
export type { TrimmedMeanOptions } from './trimmed-mean.ts'
export { krum, krumScores, multiKrum } from './krum.ts'
export type { KrumOptions, MultiKrumOptions } from './krum.ts'
export { GEOMETRIC_MEDIAN_ITERATIONS, GEOMETRIC_MEDIAN_NU, geometricMedian } from './geometric-median.ts'
export type { GeometricMedianOptions } from './geometric-median.ts'
export { adaptiveRobustClipping, arcClipCount } from './adaptive-clipping.ts'
export { CENTERED_CLIPPING_ITERATIONS, CENTERED_CLIPPING_TAU, centeredClipping } from './centered-clipping.ts'
export type { CenteredClippingOptions } from './centered-clipping.ts'
export { clippedGossip, clippedGossipRadius } from './clipped-gossip.ts'
export type { ClippedGossipOptions } from './clipped-gossip.ts'
export { csPlus, csPlusThreshold } from './cs-plus.ts'
export type { CsPlusOptions } from './cs-plus.ts'
export { BUCKET_SIZE, bucketMeans, bucketing } from './bucketing.ts'
export type { BucketingOptions } from './bucketing.ts'
export { nearestNeighbourGroups, nearestNeighbourMixing, ruleAfterNearestNeighbourMixing } from './nearest-neighbour-mixing.ts'
export type { NearestNeighbourMixingOptions } from './nearest-neighbour-mixing.ts'

export { coordinateMedianWithRepeatedInput, ruleAfterMixingWithRepeatedInput } from './repeated-input.ts'
export type { RepeatedInputRule } from './repeated-input.ts'

export { checkInputs } from './inputs.ts'
