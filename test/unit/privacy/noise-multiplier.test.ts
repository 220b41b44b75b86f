import assert from 'node:assert/strict'
import { NOISE_MULTIPLIER_RELATIVE_TOLERANCE, PrivacyParameterError, computeEpsilon, smallestNoiseMultiplier } from '../../../src/privacy/index.ts'

const epsilonOf = (q: number, sigma: number, steps: number, delta: number): number =>
  computeEpsilon({ samplingRate: q, noiseMultiplier: sigma, steps }, delta).epsilon

describe('privacy: smallest noise multiplier for a budget', () => {
  it('finds the sigma of the dp-accounting reference runs from their epsilon (issue 15)', () => {
    for (const [epsilon, q, sigma, steps] of [[2.596981179, 256 / 60000, 1.1, 14062], [2.107753075, 0.01, 1.0, 1000], [0.8618753227, 0.004, 2.0, 10000]] as const) {
      const found = smallestNoiseMultiplier(epsilon, q, steps, 1e-5)
      // The budgets are rounded to 10 digits, so sigma is found to about that.
      assert.ok(Math.abs(found - sigma) <= 1e-6 * sigma, `${found} for sigma ${sigma}`)
    }
  })

  it('a budget met exactly returns the sigma that meets it: within it, and anything smaller is over it', () => {
    for (const [q, sigma, steps] of [[0.01, 1.3, 2000], [1, 7, 30], [0.2, 0.6, 5]] as const) {
      const budget = epsilonOf(q, sigma, steps, 1e-5)
      const found = smallestNoiseMultiplier(budget, q, steps, 1e-5)
      assert.ok(epsilonOf(q, found, steps, 1e-5) <= budget, 'within the budget')
      assert.ok(epsilonOf(q, found * (1 - 10 * NOISE_MULTIPLIER_RELATIVE_TOLERANCE), steps, 1e-5) > budget, 'smallest')
      assert.ok(Math.abs(found - sigma) <= 1e-9 * sigma, `${found} for ${sigma}`)
    }
  })

  it('is 0 when nothing is spent, and large for an epsilon-0 budget', () => {
    assert.equal(smallestNoiseMultiplier(1, 0, 1000, 1e-5), 0)
    assert.equal(smallestNoiseMultiplier(1, 0.5, 0, 1e-5), 0)
    const found = smallestNoiseMultiplier(0, 0.01, 100, 1e-5)
    assert.equal(epsilonOf(0.01, found, 100, 1e-5), 0)
    assert.ok(epsilonOf(0.01, found * 0.99, 100, 1e-5) > 0)
  })

  it('refuses a budget no sigma meets and parameters out of range, naming them', () => {
    const names = (parameter: string) => (err: unknown): boolean => err instanceof PrivacyParameterError && err.parameter === parameter
    // Full batches with delta 1e-300: the conversion alone costs log(1/(delta alpha))/(alpha - 1) > 0.67 at every order.
    assert.throws(() => smallestNoiseMultiplier(0.5, 1, 100, 1e-300), names('epsilon'))
    assert.throws(() => smallestNoiseMultiplier(-1, 0.01, 100, 1e-5), names('epsilon'))
    assert.throws(() => smallestNoiseMultiplier(Infinity, 0.01, 100, 1e-5), names('epsilon'))
    assert.throws(() => smallestNoiseMultiplier(1, 2, 100, 1e-5), names('samplingRate'))
    assert.throws(() => smallestNoiseMultiplier(1, 0.01, 0.5, 1e-5), names('steps'))
    assert.throws(() => smallestNoiseMultiplier(1, 0.01, 100, 0), names('delta'))
  })
})
