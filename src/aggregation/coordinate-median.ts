import { checkCount, checkInputs } from './inputs.ts'
import { orderStatisticMean } from './selection-network.ts'

/** Options of {@link coordinateMedian}. */
export interface CoordinateMedianOptions {
  /** Byzantine inputs to survive; only checked (k >= 2f+1). @default 0 */
  readonly f?: number
}

/**
 * Coordinate-wise median (Yin, Chen, Kannan, Bartlett, ICML 2018,
 * https://arxiv.org/abs/1803.01498), as Flower's FedMedian and numpy's `median(axis=0)`:
 * for even k, the mean of the two middle values.
 *
 * Guarantee: breakdown point 1/2 per coordinate; with at most f Byzantine inputs and
 * k >= 2f+1, every output coordinate lies within the honest inputs' range at that coordinate.
 * It needs no bound on f to run. Precondition: k >= 2f+1.
 * Cost: O(kd) memory traffic (one pass) plus O(k log² k) branch-free SIMD compare-exchanges
 * per 4 coordinates (a pruned Batcher selection network); extra memory: the output.
 * Non-finite inputs (the validator refuses them first): ±Infinity order as numbers; NaN
 * compares false, so a coordinate holding one gets a deterministic but unspecified value.
 * @throws AggregationPreconditionError when k < 2f+1 or the inputs differ in length.
 */
export function coordinateMedian (inputs: readonly Float32Array[], options: CoordinateMedianOptions = {}): Float32Array {
  const f = options.f ?? 0
  checkCount('coordinate-wise median', 'f', f, 0)
  checkInputs('coordinate-wise median', inputs, 2 * f + 1, `k >= 2f+1 with f = ${f}`)
  const k = inputs.length
  const upper = k >> 1
  return k % 2 === 1 ? orderStatisticMean(inputs, upper, upper) : orderStatisticMean(inputs, upper - 1, upper)
}
