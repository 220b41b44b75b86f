import { checkInputs } from './inputs.ts'
import { weightedSum } from './streaming-pass.ts'

/**
 * Plain gossip averaging: the coordinate-wise arithmetic mean of the inputs (D-PSGD /
 * gossip learning, uniform weights 1/k over the node's own model and its peers').
 *
 * Guarantee: none against Byzantine inputs (breakdown point 0: one input moves it
 * arbitrarily); it is the baseline and the cost floor of every other rule.
 * Precondition: k >= 1 inputs of one length. Cost: O(kd), one pass, summed in float64;
 * extra memory: the output.
 * @throws AggregationPreconditionError when there are no inputs or their lengths differ.
 */
export function mean (inputs: readonly Float32Array[]): Float32Array {
  checkInputs('mean', inputs, 1, 'k >= 1')
  return weightedSum(inputs, new Float64Array(inputs.length).fill(1 / inputs.length))
}
