import { checkCount, checkInputs } from './inputs.ts'
import { orderStatisticMean } from './selection-network.ts'

/** Options of {@link trimmedMean}. */
export interface TrimmedMeanOptions {
  /** Values dropped at each end of every coordinate; survives up to b Byzantine inputs. */
  readonly b: number
}

/**
 * Coordinate-wise trimmed mean (Yin, Chen, Kannan, Bartlett, ICML 2018,
 * https://arxiv.org/abs/1803.01498): per coordinate, drop the b smallest and the b largest
 * values and average the k − 2b others (ByzFL `TrMean(f)`; Flower's FedTrimmedAvg with
 * beta = b/k).
 *
 * Guarantee: with at most b Byzantine inputs, every output coordinate lies within the honest
 * inputs' range at that coordinate. b must be at least the actual number of Byzantine inputs
 * (docs/robustness-literature.md section 1: under-declared b is catastrophic).
 * Precondition: k >= 2b+1. Cost: O(kd) memory traffic (one pass) plus a pruned SIMD
 * selection network; extra memory: the output.
 * Non-finite inputs (the validator refuses them first): ±Infinity order as numbers; NaN
 * compares false, so a coordinate holding one gets a deterministic but unspecified value.
 * @throws AggregationPreconditionError when k < 2b+1 or the inputs differ in length.
 */
export function trimmedMean (inputs: readonly Float32Array[], options: TrimmedMeanOptions): Float32Array {
  const { b } = options
  checkCount('trimmed mean', 'b', b, 0)
  checkInputs('trimmed mean', inputs, 2 * b + 1, `k >= 2b+1 with b = ${b}`)
  return orderStatisticMean(inputs, b, inputs.length - 1 - b)
}
