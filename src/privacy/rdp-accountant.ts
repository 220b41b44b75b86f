import { PrivacyParameterError } from './privacy-parameter-error.ts'

/**
 * Rényi differential privacy (RDP) of the Poisson-subsampled Gaussian mechanism: one DP-SGD step
 * that samples each record with probability q, clips each record's contribution to L2 norm C and
 * adds N(0, sigma^2 C^2) noise to the sum.
 *
 * At an integer order alpha >= 2 and 0 < q < 1 the RDP is log(A_alpha) / (alpha - 1) with
 * A_alpha = sum_{i=0}^{alpha} binom(alpha, i) (1-q)^(alpha-i) q^i exp((i^2 - i) / (2 sigma^2)),
 * Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism",
 * Section 3.3 (https://arxiv.org/abs/1908.10530). The sum is taken in log space, term by term,
 * so that no term overflows at large orders or small sigma. RDP composes by addition
 * (Mironov 2017, "Rényi Differential Privacy", Proposition 1, https://arxiv.org/abs/1702.07476),
 * so T steps cost T times one step.
 */

/**
 * The orders at which RDP is tracked: 2..64, 128, 256, 512, 1024. Integers only, so the closed
 * form above is exact; the large orders serve tiny budgets (small epsilon, many steps).
 */
export const RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 63 }, (_, i) => i + 2),
  128, 256, 512, 1024
])

/** log(exp(a) + exp(b)) without overflow; -Infinity is log 0 and +Infinity absorbs. */
export function logAddExp (a: number, b: number): number {
  const hi = Math.max(a, b)
  const lo = Math.min(a, b)
  if (lo === -Infinity || hi === Infinity) return hi
  return hi + Math.log1p(Math.exp(lo - hi))
}

/** log binom(n, k) for every k in 0..n, by the product binom(n, k+1) = binom(n, k) (n - k) / (k + 1). */
function logBinomials (n: number): Float64Array {
  const out = new Float64Array(n + 1)
  for (let k = 0; k < n; k++) out[k + 1] = (out[k] as number) + Math.log((n - k) / (k + 1))
  return out
}

/** Throws unless q is in [0, 1] and sigma is a non-negative number. */
export function checkMechanism (samplingRate: number, noiseMultiplier: number): void {
  if (!(samplingRate >= 0 && samplingRate <= 1)) {
    throw new PrivacyParameterError('samplingRate', `got ${samplingRate}, expected a number from 0 to 1`)
  }
  if (!(noiseMultiplier >= 0) || Number.isNaN(noiseMultiplier)) {
    throw new PrivacyParameterError('noiseMultiplier', `got ${noiseMultiplier}, expected a number of at least 0`)
  }
}

/**
 * RDP of one step of the Poisson-subsampled Gaussian mechanism at integer order `order` (>= 2).
 * q = 0 costs nothing (0); sigma = 0 (no noise) costs Infinity; q = 1 is the plain Gaussian
 * mechanism, alpha / (2 sigma^2) (Mironov 2017, Proposition 7).
 * @param samplingRate q, the probability that a record is in a step's batch, in [0, 1]
 * @param noiseMultiplier sigma, the noise's standard deviation over the clipping norm, >= 0
 * @throws PrivacyParameterError for a value outside those ranges or an order that is not an integer >= 2
 */
export function rdpOfSampledGaussian (samplingRate: number, noiseMultiplier: number, order: number): number {
  checkMechanism(samplingRate, noiseMultiplier)
  if (!Number.isSafeInteger(order) || order < 2) throw new PrivacyParameterError('order', `got ${order}, expected a whole number of at least 2`)
  if (samplingRate === 0) return 0
  if (noiseMultiplier === 0) return Infinity
  if (samplingRate === 1) return order / (2 * noiseMultiplier ** 2)
  const logQ = Math.log(samplingRate)
  const log1mQ = Math.log1p(-samplingRate)
  const twoSigmaSquared = 2 * noiseMultiplier ** 2
  const logBinom = logBinomials(order)
  let logA = -Infinity
  for (let i = 0; i <= order; i++) {
    // i = 0 and 1 carry no noise term; skipping it keeps 0 / 0 out when sigma^2 underflows to 0.
    const noiseTerm = i < 2 ? 0 : (i * i - i) / twoSigmaSquared
    const term = (logBinom[i] as number) + i * logQ + (order - i) * log1mQ + noiseTerm
    logA = logAddExp(logA, term)
  }
  return logA / (order - 1)
}

/**
 * RDP of `steps` composed steps at each of `orders` (default {@link RDP_ORDERS}).
 * @throws PrivacyParameterError as {@link rdpOfSampledGaussian}, or for steps that are not a whole number >= 0
 */
export function composedRdp (samplingRate: number, noiseMultiplier: number, steps: number, orders: readonly number[] = RDP_ORDERS): number[] {
  checkSteps(steps)
  // Zero steps cost nothing, whatever one step would cost (0 * Infinity is NaN).
  return orders.map(order => (steps === 0 ? 0 : steps * rdpOfSampledGaussian(samplingRate, noiseMultiplier, order)))
}

/** Throws unless `steps` is a whole number >= 0. */
export function checkSteps (steps: number): void {
  if (!Number.isSafeInteger(steps) || steps < 0) throw new PrivacyParameterError('steps', `got ${steps}, expected a whole number of at least 0`)
}
