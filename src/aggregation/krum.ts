import { checkCount, checkInputs } from './inputs.ts'
import { pairwiseSquaredDistances, weightedSum } from './streaming-pass.ts'

/** Options of {@link krum}. */
export interface KrumOptions {
  /** Byzantine inputs to survive. */
  readonly f: number
}

/** Options of {@link multiKrum}. */
export interface MultiKrumOptions {
  /** Byzantine inputs to survive. */
  readonly f: number
  /** Inputs averaged, those with the lowest scores. @default k − f */
  readonly m?: number
}

/**
 * Krum scores (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017,
 * https://papers.nips.cc/paper/6617): for each input, the sum of its squared Euclidean
 * distances to its k − f − 2 nearest other inputs. A NaN distance counts as +Infinity.
 * Cost: O(k²d) flops in one pass over the inputs (SIMD, float64 sums); O(k²) scalars.
 */
export function krumScores (inputs: readonly Float32Array[], f: number): Float64Array {
  const k = inputs.length
  const distances = pairwiseSquaredDistances(inputs)
  const neighbours = k - f - 2
  const scores = new Float64Array(k)
  const row = new Float64Array(k - 1)
  for (let i = 0; i < k; i++) {
    let n = 0
    for (let j = 0; j < k; j++) {
      if (j === i) continue
      const value = distances[i * k + j] as number
      row[n++] = Number.isNaN(value) ? Infinity : value
    }
    row.sort()
    let score = 0
    for (let j = 0; j < neighbours; j++) score += row[j] as number
    scores[i] = score
  }
  return scores
}

/** Indexes of the `m` lowest scores, lowest first; ties go to the lower index. */
function lowestScores (scores: Float64Array, m: number): number[] {
  const order = Array.from(scores, (_, i) => i)
  order.sort((a, b) => {
    const sa = scores[a] as number
    const sb = scores[b] as number
    return sa < sb ? -1 : sa > sb ? 1 : a - b
  })
  return order.slice(0, m)
}

/**
 * Krum (Blanchard et al. 2017, https://papers.nips.cc/paper/6617): a copy of the input with
 * the lowest {@link krumScores}; Flower's `Krum`, ByzFL `Krum`.
 *
 * Guarantee: (α, f)-Byzantine resilience when 2f + 2 < k; the output is always one of the
 * inputs, so against gross outliers it is an honest input and against in-distribution
 * attacks it stays inside the inputs' range. Known weakness: high variance, fails under
 * non-IID data (docs/robustness-literature.md section 1). Precondition: k >= 2f+3.
 * Cost: O(k²d); extra memory: the output and O(k²) scalars.
 * @throws AggregationPreconditionError when k < 2f+3 or the inputs differ in length.
 */
export function krum (inputs: readonly Float32Array[], options: KrumOptions): Float32Array {
  const { f } = options
  checkCount('krum', 'f', f, 0)
  checkInputs('krum', inputs, 2 * f + 3, `k >= 2f+3 with f = ${f}`)
  const [best] = lowestScores(krumScores(inputs, f), 1)
  return (inputs[best as number] as Float32Array).slice()
}

/**
 * Multi-Krum (Blanchard et al. 2017, https://papers.nips.cc/paper/6617): the mean of the `m`
 * inputs with the lowest {@link krumScores} (Flower's `Krum` with `num_clients_to_keep`).
 *
 * Guarantee: as Krum; with m <= k − f and in-distribution or gross Byzantine inputs, the
 * output stays within the honest inputs' coordinate range whenever the selected Byzantine
 * inputs do. Precondition: k >= 2f+3 and 1 <= m <= k − f. Cost: O(k²d); extra memory: the
 * output and O(k²) scalars.
 * @throws AggregationPreconditionError when the precondition fails or the inputs differ in length.
 */
export function multiKrum (inputs: readonly Float32Array[], options: MultiKrumOptions): Float32Array {
  const { f } = options
  checkCount('multi-krum', 'f', f, 0)
  const m = options.m ?? inputs.length - f
  checkCount('multi-krum', 'm', m, 1)
  checkInputs('multi-krum', inputs, Math.max(2 * f + 3, m + f), `k >= max(2f+3, m+f) with f = ${f}, m = ${m}`)
  const chosen = lowestScores(krumScores(inputs, f), m)
  return weightedSum(chosen.map(i => inputs[i] as Float32Array), new Float64Array(m).fill(1 / m))
}
