import { PrivacyParameterError } from './privacy-parameter-error.ts'
import { RDP_ORDERS, composedRdp } from './rdp-accountant.ts'

/** An (epsilon, delta) guarantee and the RDP order that gave it. */
export interface EpsilonAtOrder {
  /** The smallest epsilon over the orders tracked; Infinity when no order bounds it (e.g. no noise). */
  readonly epsilon: number
  /** The order at which that epsilon was reached (the first such order when several tie). */
  readonly order: number
}

/** The public parameters of a run of DP-SGD steps. */
export interface SampledGaussianRun {
  /** q: the probability that a record is in a step's batch (Poisson sampling), in [0, 1]. */
  readonly samplingRate: number
  /** sigma: the noise's standard deviation over the clipping norm, >= 0. */
  readonly noiseMultiplier: number
  /** How many steps were composed, a whole number >= 0. */
  readonly steps: number
}

/** Throws unless delta is in (0, 1). */
export function checkDelta (delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError('delta', `got ${delta}, expected a number above 0 and below 1`)
}

/**
 * Convert RDP guarantees (epsilon_alpha at each order alpha) into one (epsilon, delta)-DP
 * guarantee: the smallest over the orders of
 * `rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1)`, the improved conversion of
 * Balle, Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis Testing Interpretations and Rényi
 * Differential Privacy", Proposition 12 (https://arxiv.org/abs/2004.00010), also
 * Asoodeh et al. 2020, Equation 20 (https://arxiv.org/abs/2001.05990). An order whose RDP is so
 * small that the KL bound delta >= sqrt(1 - exp(-rdp)) already holds gives epsilon 0. This is the
 * conversion of Google's dp-accounting (`compute_epsilon` in its RDP accountant), so the numbers
 * agree with it.
 * @param orders RDP orders, each > 1.01 (the conversion is unstable near 1)
 * @param rdp the RDP at each order, same length
 * @throws PrivacyParameterError for delta outside (0, 1), lengths that differ, or an order <= 1.01
 */
export function epsilonFromRdp (orders: readonly number[], rdp: readonly number[], delta: number): EpsilonAtOrder {
  checkDelta(delta)
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new PrivacyParameterError('orders', `got ${orders.length} orders and ${rdp.length} RDP values, expected as many of each and at least one`)
  }
  let best: EpsilonAtOrder | undefined
  for (let i = 0; i < orders.length; i++) {
    const alpha = orders[i] as number
    const r = rdp[i] as number
    if (!(alpha > 1.01)) throw new PrivacyParameterError('orders', `got order ${alpha}, expected orders above 1.01`)
    // A negative divergence can only be rounding error of an almost free mechanism: it bounds nothing worse than 0.
    const epsilon = r < 0 || delta ** 2 + Math.expm1(-r) > 0
      ? 0
      : r + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1)
    if (best === undefined || epsilon < best.epsilon) best = { epsilon, order: alpha }
  }
  const found = best as EpsilonAtOrder
  return { epsilon: Math.max(0, found.epsilon), order: found.order }
}

/**
 * The (epsilon, delta)-DP guarantee of `steps` Poisson-subsampled Gaussian steps, by RDP at
 * {@link RDP_ORDERS} (Mironov, Talwar and Zhang 2019) and {@link epsilonFromRdp}.
 * @throws PrivacyParameterError for a parameter out of range
 */
export function computeEpsilon (run: SampledGaussianRun, delta: number): EpsilonAtOrder {
  checkDelta(delta)
  return epsilonFromRdp(RDP_ORDERS, composedRdp(run.samplingRate, run.noiseMultiplier, run.steps), delta)
}
