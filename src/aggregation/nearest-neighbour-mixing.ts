import { groupMeans, ruleOverGroupMeans } from './group-means.ts'
import { checkCount, checkInputs } from './inputs.ts'
import { pairwiseSquaredDistances } from './streaming-pass.ts'

/** Options of {@link nearestNeighbourMixing}. */
export interface NearestNeighbourMixingOptions {
  /** Byzantine inputs to survive: each input is mixed with its k − f nearest (itself included). */
  readonly f: number
}

/**
 * For each input, the indexes of its k − f nearest inputs by Euclidean distance, itself first
 * (distance 0); ties go to the lower index, and a NaN distance counts as +Infinity.
 */
export function nearestNeighbourGroups (inputs: readonly Float32Array[], f: number): number[][] {
  return groupsOfDistances(pairwiseSquaredDistances(inputs), inputs.length, f)
}

/** {@link nearestNeighbourGroups} from the k×k matrix of squared distances (row-major). */
export function groupsOfDistances (distances: Float64Array, k: number, f: number): number[][] {
  const at = (i: number, j: number): number => {
    const value = distances[i * k + j] as number
    return Number.isNaN(value) ? Infinity : value
  }
  return Array.from({ length: k }, (_, i) => {
    const others = Array.from({ length: k }, (_, j) => j).filter(j => j !== i)
    others.sort((a, b) => at(i, a) - at(i, b) || a - b)
    return [i, ...others.slice(0, k - f - 1)]
  })
}

/**
 * Nearest-neighbour mixing, NNM (Allouah, Farhadkhani, Guerraoui, Gupta, Pinot, Stephan,
 * AISTATS 2023, https://arxiv.org/abs/2302.01772; ByzFL `NNM(f)`): a pre-aggregation that
 * replaces each input by the mean of its k − f nearest inputs, itself included. A robust rule
 * then runs over the mixed inputs.
 *
 * Guarantee: with at most f Byzantine inputs, each honest input has at least k − f honest
 * inputs, so its k − f nearest all lie within D (the largest distance between two honest
 * inputs) of it, and so does their mean: every honest input moves by at most D. Averaging
 * k − f inputs shrinks the spread the rule after it sees, which is what makes coordinate-wise
 * rules lose less under heterogeneous data and in-distribution attacks (ALIE, IPM).
 * Precondition: k > f. Cost: O(k²d) for the pairwise distances (one SIMD pass) plus O(k(k − f)d)
 * for the means (SIMD); extra memory: the k mixed inputs.
 */
export function nearestNeighbourMixing (inputs: readonly Float32Array[], options: NearestNeighbourMixingOptions): Float32Array[] {
  const { f } = options
  checkCount('nearest-neighbour mixing', 'f', f, 0)
  checkInputs('nearest-neighbour mixing', inputs, f + 1, 'k > f')
  return groupMeans(inputs, nearestNeighbourGroups(inputs, f))
}

/**
 * `rule` over the nearest-neighbour-mixed inputs ({@link nearestNeighbourMixing}). A
 * coordinate-wise rule runs block by block over the mixed blocks, so the mixed inputs are
 * never held whole: extra memory is the output plus one block per input.
 */
export function ruleAfterNearestNeighbourMixing (
  inputs: readonly Float32Array[],
  rule: (mixed: readonly Float32Array[]) => Float32Array,
  options: NearestNeighbourMixingOptions & { readonly coordinateWise: boolean }
): Float32Array {
  const { f } = options
  checkCount('nearest-neighbour mixing', 'f', f, 0)
  checkInputs('nearest-neighbour mixing', inputs, f + 1, 'k > f')
  return ruleOverGroupMeans(inputs, nearestNeighbourGroups(inputs, f), rule, options.coordinateWise)
}
