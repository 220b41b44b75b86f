/**
 * A rule over fixed inputs plus several copies of one varying input, for evaluating many values
 * of that input against the same fixed inputs: the adaptive attacks' searches (src/adversary/),
 * where the honest models are fixed within a round and the colluders all send one candidate.
 */
import { coordinateMedian } from './coordinate-median.ts'
import { AggregationPreconditionError } from './errors.ts'
import { checkCount, checkInputs } from './inputs.ts'
import { groupsOfDistances } from './nearest-neighbour-mixing.ts'
import { forEachGroupMeanBlock } from './group-means.ts'
import { orderStatisticMean } from './selection-network.ts'
import { pairwiseSquaredDistances, streamPass } from './streaming-pass.ts'

/** `aggregate(own, [...peers, x, ..., x])` as a function of the repeated input x. */
export type RepeatedInputRule = (x: Float32Array) => Float32Array

/**
 * `rule` after nearest-neighbour mixing (as `ruleAfterNearestNeighbourMixing` with a
 * coordinate-wise rule) over `fixed` followed by `copies` copies of x, as a function of x, equal
 * bit for bit to the plain computation over the k = fixed.length + copies inputs:
 * - the fixed inputs' pairwise distances are computed once, in the blocks of a k-input pass (the
 *   float64 sums follow the blocks); per x only the distances from x to the fixed inputs are
 *   summed, in the same blocks, and x's copies are 0 apart, as the plain pass finds them;
 * - each distinct group is mixed once (the copies' groups hold the same values in the same
 *   order), in one blocked pass, and a group of fixed inputs only is mixed once for all x: every
 *   mixed input is summed by the same kernel, in the same order, as the plain pass sums it;
 * - `rule` runs over the k mixed inputs in the plain order. Coordinate by coordinate this is
 *   the plain block-by-block computation.
 * Cost per x: O(hd) for the distances (h fixed inputs; the plain pass is O(k²d)) plus the groups
 * that contain x, plus the rule. Memory: the mixed groups of fixed inputs only, at most h vectors.
 * @throws AggregationPreconditionError when k <= f, copies < 1 or the inputs differ in length.
 */
export function ruleAfterMixingWithRepeatedInput (
  fixed: readonly Float32Array[],
  copies: number,
  rule: (mixed: readonly Float32Array[]) => Float32Array,
  f: number
): RepeatedInputRule {
  checkCount('nearest-neighbour mixing', 'f', f, 0)
  checkCount('nearest-neighbour mixing', 'copies', copies, 1)
  checkInputs('nearest-neighbour mixing', fixed, 1, 'at least one fixed input')
  const h = fixed.length
  const k = h + copies
  if (k <= f) throw new AggregationPreconditionError(`nearest-neighbour mixing needs at least ${f + 1} inputs (k > f), got ${k}`)
  const fixedDistances = pairwiseSquaredDistances(fixed, k)
  // Means of groups of fixed inputs only, by group: the same for every x.
  const fixedGroups = new Map<string, Float32Array>()
  return x => {
    checkInputs('nearest-neighbour mixing', [fixed[0] as Float32Array, x], 2, 'inputs of one length')
    const toX = streamPass([...fixed, x], { measure: h, centre: h, blockRows: k })
    const distances = new Float64Array(k * k)
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) distances[i * k + j] = fixedDistances[i * h + j] as number
      for (let c = h; c < k; c++) {
        distances[i * k + c] = toX[i] as number
        distances[c * k + i] = toX[i] as number
      }
    }
    // x once, as input h: the copies are one vector, so groups that differ only in which copy
    // sits where are one sum, and the sums read x where they read a copy.
    const inputs = [...fixed, x]
    const groups = groupsOfDistances(distances, k, f).map(group => group.map(i => Math.min(i, h)))
    const keys = groups.map(group => group.join(','))
    const withX = new Map<string, number[]>()
    const newFixed = new Map<string, number[]>()
    groups.forEach((group, g) => {
      const key = keys[g] as string
      if (group.includes(h)) withX.set(key, group)
      else if (!fixedGroups.has(key)) newFixed.set(key, group)
    })
    // One blocked pass: the groups with x and the new groups of fixed inputs only are summed
    // while the block is in cache, the known ones read, and the rule runs on the block.
    const toSum = [...withX.values(), ...newFixed.values()]
    const summedAt = new Map(toSum.map((group, g) => [group.join(','), g]))
    const kept = [...newFixed.keys()].map(key => ({ key, mean: new Float32Array(x.length), g: summedAt.get(key) as number }))
    const output = new Float32Array(x.length)
    forEachGroupMeanBlock(inputs, toSum, (start, blocks) => {
      const count = (blocks[0] as Float32Array).length
      for (const { mean, g } of kept) mean.set(blocks[g] as Float32Array, start)
      const mixed = keys.map(key => {
        const g = summedAt.get(key)
        // x's own group is always summed (blocks[0] exists), and a group of fixed inputs is either known or summed here.
        return g === undefined ? (fixedGroups.get(key) as Float32Array).subarray(start, start + count) : blocks[g] as Float32Array
      })
      output.set(rule(mixed), start)
    })
    for (const { key, mean } of kept) fixedGroups.set(key, mean)
    return output
  }
}

/**
 * `coordinateMedian([...fixed, x, ..., x])` (`copies` copies of x) as a function of x, equal to
 * it value for value (only a zero's sign may differ): at each coordinate, with the fixed inputs'
 * values sorted as h(0) <= ... <= h(n−1), the r-th smallest of them and the copies is x clamped to
 * [h(r − copies), h(r)] (−∞ and +∞ beyond the ends). So the bounds of the middle ranks are
 * selected once, by the selection network, and each x costs O(d) instead of a median of
 * n + copies inputs; for even k the two middle values are averaged as the median's kernel does
 * (in float64, rounded to float32). An x holding a NaN goes to the plain median (whose value
 * there is unspecified); so do fixed inputs holding one, which the validator refuses first.
 * @throws AggregationPreconditionError when copies < 1, no fixed input is given or the inputs differ in length.
 */
export function coordinateMedianWithRepeatedInput (fixed: readonly Float32Array[], copies: number): RepeatedInputRule {
  checkCount('coordinate-wise median', 'copies', copies, 1)
  checkInputs('coordinate-wise median', fixed, 1, 'at least one fixed input')
  const n = fixed.length
  const k = n + copies
  const plain = (x: Float32Array): Float32Array => coordinateMedian([...fixed, ...Array.from({ length: copies }, () => x)])
  if (fixed.some(v => v.some(Number.isNaN))) return plain
  const selected = new Map<number, Float32Array>()
  const orderStatistic = (rank: number): Float32Array | undefined => {
    if (rank < 0 || rank >= n) return undefined
    let values = selected.get(rank)
    if (values === undefined) selected.set(rank, values = orderStatisticMean(fixed, rank, rank))
    return values
  }
  // Each rank's bounds as whole vectors, −∞ and +∞ where a rank has no bound, so the loop per x
  // reads four arrays and branches on nothing else (the searches call it dozens of times a round).
  const d = (fixed[0] as Float32Array).length
  const bounds = (rank: number): Bounds => ({
    low: orderStatistic(rank - copies) ?? new Float32Array(d).fill(-Infinity),
    high: orderStatistic(rank) ?? new Float32Array(d).fill(Infinity)
  })
  const first = bounds(k % 2 === 1 ? k >> 1 : (k >> 1) - 1)
  const second = k % 2 === 1 ? undefined : bounds(k >> 1)
  return x => {
    checkInputs('coordinate-wise median', [fixed[0] as Float32Array, x], 2, 'inputs of one length')
    const out = new Float32Array(x.length)
    const { low, high } = first
    if (second === undefined) {
      for (let j = 0; j < out.length; j++) {
        const v = x[j] as number
        if (Number.isNaN(v)) return plain(x)
        out[j] = clamp(v, low[j] as number, high[j] as number)
      }
    } else {
      const { low: low2, high: high2 } = second
      for (let j = 0; j < out.length; j++) {
        const v = x[j] as number
        if (Number.isNaN(v)) return plain(x)
        out[j] = 0.5 * clamp(v, low[j] as number, high[j] as number) + 0.5 * clamp(v, low2[j] as number, high2[j] as number)
      }
    }
    return out
  }
}

/** The fixed inputs' order statistics that bound one rank of the median (−∞ or +∞ throughout: no bound). */
interface Bounds { readonly low: Float32Array, readonly high: Float32Array }

const clamp = (v: number, low: number, high: number): number => (v < low ? low : v > high ? high : v)
