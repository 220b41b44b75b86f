import { AggregationPreconditionError } from '../aggregation/index.ts'
import { checkInputs } from '../aggregation/index.ts'

/**
 * Coordinate-wise mean and population standard deviation of the honest models, in float64
 * sums, as ALIE and IPM read them (Baruch et al. 2019, section 3; Xie et al. 2019).
 * @throws AggregationPreconditionError when there are no models or their lengths differ.
 */
export function coordinateStatistics (honest: readonly Float32Array[]): { mean: Float32Array, std: Float32Array } {
  const d = checkInputs('attack', honest, 1, 'at least one honest model')
  const k = honest.length
  const mean = new Float32Array(d)
  const std = new Float32Array(d)
  // Coordinate by coordinate, the models in order: the sums stay in registers.
  for (let j = 0; j < d; j++) {
    let sum = 0
    let squares = 0
    for (let i = 0; i < k; i++) {
      const v = (honest[i] as Float32Array)[j] as number
      sum += v
      squares += v * v
    }
    const m = sum / k
    mean[j] = m
    std[j] = Math.sqrt(Math.max(0, squares / k - m * m))
  }
  return { mean, std }
}

/** Coordinate-wise mean of the honest models (float64 sums). */
export function honestMean (honest: readonly Float32Array[]): Float32Array {
  return coordinateStatistics(honest).mean
}

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative error
 * below 1.15e-9; https://web.archive.org/web/20151030215612/http://home.online.no/~pjacklam/notes/invnorm/).
 * @throws RangeError unless 0 < p < 1.
 */
export function normalQuantile (p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must lie in (0, 1), got ${p}`)
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  const low = 0.02425
  const poly = (coef: number[], x: number): number => coef.reduce((acc, v) => acc * x + v, 0)
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return poly(c, q) / (poly(d, q) * q + 1)
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p))
    return -poly(c, q) / (poly(d, q) * q + 1)
  }
  const q = p - 0.5
  const r = q * q
  return poly(a, r) * q / (poly(b, r) * r + 1)
}

/**
 * ALIE's default factor z_max = Φ⁻¹((n − f − s) / (n − f)) with s = ⌊n/2 + 1⌋ − f supporters
 * the attackers need (Baruch, Baruch & Goldberg, NeurIPS 2019, https://arxiv.org/abs/1902.06156,
 * section 4; as coded in the bucketing repository and Blades). About 0.10 at n = 16, f = 3.
 * Returns 0 when the formula's probability is not in (0, 1) (f too large for the bound).
 * @throws AggregationPreconditionError unless 0 <= f < n.
 */
export function alieDefaultZ (n: number, f: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(f) || f < 0 || f >= n) {
    throw new AggregationPreconditionError(`ALIE: needs integers 0 <= f < n, got n=${n}, f=${f}`)
  }
  const s = Math.floor(n / 2 + 1) - f
  const p = (n - f - s) / (n - f)
  return p > 0 && p < 1 ? normalQuantile(p) : 0
}

/** Dot product in float64. */
export function dot (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let j = 0; j < a.length; j++) sum += (a[j] as number) * (b[j] as number)
  return sum
}

/** Euclidean norm in float64. */
export function norm (a: Float32Array): number {
  return Math.sqrt(dot(a, a))
}

/** Power iterations for the top principal direction: enough for a direction, not an exact eigenvector. */
export const PRINCIPAL_ITERATIONS = 20

/**
 * The honest models' top principal direction: the unit eigenvector of largest eigenvalue of their
 * covariance Σ_i (x_i − μ)(x_i − μ)ᵀ, by power iteration from the centred model of largest norm
 * (deterministic, never orthogonal to it). A zero vector when the models coincide. O(iterations·k·d).
 * @throws AggregationPreconditionError when there are no models or their lengths differ.
 */
export function topPrincipalDirection (honest: readonly Float32Array[], iterations = PRINCIPAL_ITERATIONS): Float32Array {
  const { mean } = coordinateStatistics(honest)
  const d = mean.length
  const k = honest.length
  // The centred models interleaved, coordinate by coordinate (model i's coordinate j at j·k + i),
  // so that an iteration reads them in two passes instead of two per model (the undo-progress
  // and own-loss searches run it every round). Each dot product and each coordinate of the next
  // vector is summed in the order the plain loops over each model sum it (j ascending, then i
  // ascending, the next vector rounded to float32 after each model's term): the same bits.
  const centred = new Float32Array(d * k)
  const squares = new Float64Array(k)
  for (let i = 0; i < k; i++) {
    const x = honest[i] as Float32Array
    let sum = 0
    for (let j = 0; j < d; j++) {
      const c = Math.fround((x[j] as number) - (mean[j] as number))
      centred[j * k + i] = c
      sum += c * c
    }
    squares[i] = sum
  }
  let largest = 0
  for (let i = 1; i < k; i++) if (Math.sqrt(squares[i] as number) > Math.sqrt(squares[largest] as number)) largest = i
  let v = new Float32Array(d)
  for (let j = 0; j < d; j++) v[j] = centred[j * k + largest] as number
  let vSquares = squares[largest] as number
  const dots = new Float64Array(k)
  const weights = new Float64Array(k)
  for (let t = 0; t < iterations; t++) {
    const length = Math.sqrt(vSquares)
    if (length === 0) return v
    dots.fill(0)
    let j = 0
    // Two coordinates at a time: half the reads and writes of the sums, each still summed over j in order.
    for (let at = 0; j + 2 <= d; j += 2, at += 2 * k) {
      const v0 = v[j] as number
      const v1 = v[j + 1] as number
      for (let i = 0; i < k; i++) dots[i] = (dots[i] as number) + (centred[at + i] as number) * v0 + (centred[at + k + i] as number) * v1
    }
    for (let at = j * k; j < d; j++, at += k) {
      const vj = v[j] as number
      for (let i = 0; i < k; i++) dots[i] = (dots[i] as number) + (centred[at + i] as number) * vj
    }
    for (let i = 0; i < k; i++) weights[i] = (dots[i] as number) / length
    const next = new Float32Array(d)
    let sum = 0
    j = 0
    // Four coordinates at a time: each one's sum is a chain of rounded adds, and four chains
    // side by side do not wait on each other; each is still summed over i in order.
    for (let at = 0; j + 4 <= d; j += 4, at += 4 * k) {
      let v0 = 0
      let v1 = 0
      let v2 = 0
      let v3 = 0
      for (let i = 0; i < k; i++) {
        const w = weights[i] as number
        v0 = Math.fround(v0 + w * (centred[at + i] as number))
        v1 = Math.fround(v1 + w * (centred[at + k + i] as number))
        v2 = Math.fround(v2 + w * (centred[at + 2 * k + i] as number))
        v3 = Math.fround(v3 + w * (centred[at + 3 * k + i] as number))
      }
      next[j] = v0
      next[j + 1] = v1
      next[j + 2] = v2
      next[j + 3] = v3
      sum += v0 * v0
      sum += v1 * v1
      sum += v2 * v2
      sum += v3 * v3
    }
    for (let at = j * k; j < d; j++, at += k) {
      let value = 0
      for (let i = 0; i < k; i++) value = Math.fround(value + (weights[i] as number) * (centred[at + i] as number))
      next[j] = value
      sum += value * value
    }
    v = next
    vSquares = sum
  }
  const length = Math.sqrt(vSquares)
  if (length === 0) return v
  const unit = new Float32Array(d)
  for (let j = 0; j < d; j++) unit[j] = (v[j] as number) / length
  return unit
}
