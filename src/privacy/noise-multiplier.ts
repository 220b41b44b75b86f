import { PrivacyParameterError } from './privacy-parameter-error.ts'
import { checkDelta, epsilonFromRdp } from './epsilon.ts'
import { RDP_ORDERS, checkMechanism, checkSteps, composedRdp } from './rdp-accountant.ts'

/** Bisection stops when the bracket around the smallest sigma is this narrow, relative to sigma. */
export const NOISE_MULTIPLIER_RELATIVE_TOLERANCE = 1e-10

/**
 * The largest noise multiplier searched. Beyond it the order-2 RDP of even one full-batch step,
 * 1 / sigma^2, is below 1e-24: smaller than any delta^2 the accountant accepts in double precision.
 */
export const MAX_NOISE_MULTIPLIER = 1e12

/**
 * The smallest noise multiplier sigma for which `steps` Poisson-subsampled Gaussian steps at
 * sampling rate q stay within (epsilon, delta)-DP, by the accountant of {@link computeEpsilon}
 * (RDP of Mironov, Talwar and Zhang 2019, converted as Balle et al. 2020, Proposition 12).
 * Epsilon falls as sigma grows at every order, so bisection finds it: the result is within
 * {@link NOISE_MULTIPLIER_RELATIVE_TOLERANCE} (relative) above the exact smallest sigma, and its
 * epsilon is always within the budget (a budget met exactly returns the sigma that meets it).
 * 0 when nothing is spent at all (q = 0 or no steps).
 * @param epsilon the budget, a finite number >= 0
 * @throws PrivacyParameterError for a parameter out of range, or a budget no sigma up to
 * {@link MAX_NOISE_MULTIPLIER} meets
 */
export function smallestNoiseMultiplier (epsilon: number, samplingRate: number, steps: number, delta: number): number {
  if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw new PrivacyParameterError('epsilon', `got ${epsilon}, expected a finite number of at least 0`)
  checkMechanism(samplingRate, 0)
  checkSteps(steps)
  checkDelta(delta)
  const within = (sigma: number): boolean => epsilonFromRdp(RDP_ORDERS, composedRdp(samplingRate, sigma, steps), delta).epsilon <= epsilon
  if (within(0)) return 0
  let lo = 0
  let hi = 1
  while (!within(hi)) {
    lo = hi
    hi *= 2
    if (hi > MAX_NOISE_MULTIPLIER) {
      throw new PrivacyParameterError('epsilon', `got ${epsilon}: no noise multiplier up to ${MAX_NOISE_MULTIPLIER} keeps ${steps} steps at sampling rate ${samplingRate} within it at delta ${delta}`)
    }
  }
  // Invariant: lo is over the budget (or 0), hi is within it.
  while (hi - lo > NOISE_MULTIPLIER_RELATIVE_TOLERANCE * hi) {
    const mid = lo + (hi - lo) / 2
    if (mid <= lo || mid >= hi) break
    if (within(mid)) hi = mid
    else lo = mid
  }
  return hi
}
