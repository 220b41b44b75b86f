import assert from 'node:assert/strict'
import {
  PrivacyParameterError, RDP_ORDERS, composedRdp, computeEpsilon, epsilonFromRdp, logAddExp, rdpOfSampledGaussian
} from '../../../src/privacy/index.ts'

/** |a - b| <= rel * |b|, with a message that shows both. */
function close (actual: number, expected: number, rel: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what} ${actual} is not within ${rel} (relative) of ${expected}`)
}

const isParameterError = (parameter: string) => (err: unknown): boolean =>
  err instanceof PrivacyParameterError && err.parameter === parameter && err.exitStatus === 2

describe('privacy: RDP of the Poisson-subsampled Gaussian mechanism', () => {
  it('tracks the integer orders 2..64, 128, 256, 512, 1024', () => {
    assert.equal(RDP_ORDERS.length, 67)
    assert.deepEqual(RDP_ORDERS.slice(0, 3), [2, 3, 4])
    assert.deepEqual(RDP_ORDERS.slice(-6), [63, 64, 128, 256, 512, 1024])
  })

  it('adds in log space without overflow', () => {
    close(logAddExp(Math.log(2), Math.log(3)), Math.log(5), 1e-15)
    assert.equal(logAddExp(-Infinity, 1.5), 1.5)
    close(logAddExp(1000, 1000), 1000 + Math.log(2), 1e-15)
    assert.equal(logAddExp(Infinity, 3), Infinity)
  })

  it('order 2 is log(1 + q^2 (exp(1/sigma^2) - 1)) (binomial expansion by hand)', () => {
    for (const [q, sigma] of [[0.01, 1], [0.3, 0.7], [0.9, 4]] as const) {
      close(rdpOfSampledGaussian(q, sigma, 2), Math.log(1 + q * q * (Math.exp(1 / sigma ** 2) - 1)), 1e-12, `q=${q} sigma=${sigma}`)
    }
  })

  it('order 3 is log(A_3) / 2 with A_3 summed term by term', () => {
    const q = 0.2
    const sigma = 1.3
    const e = (i: number): number => Math.exp((i * i - i) / (2 * sigma ** 2))
    const a3 = (1 - q) ** 3 + 3 * q * (1 - q) ** 2 * e(1) + 3 * q ** 2 * (1 - q) * e(2) + q ** 3 * e(3)
    close(rdpOfSampledGaussian(q, sigma, 3), Math.log(a3) / 2, 1e-12)
  })

  it('q = 1 is the plain Gaussian mechanism, alpha / (2 sigma^2), and q just below 1 agrees with it', () => {
    assert.equal(rdpOfSampledGaussian(1, 2, 8), 1)
    assert.equal(rdpOfSampledGaussian(1, 0.5, 1024), 2048)
    close(rdpOfSampledGaussian(1 - 1e-12, 2, 8), 1, 1e-9)
    close(rdpOfSampledGaussian(1 - 1e-12, 3, 64), 64 / 18, 1e-9)
  })

  it('q = 0 costs nothing, sigma = 0 costs everything', () => {
    assert.equal(rdpOfSampledGaussian(0, 1, 32), 0)
    assert.equal(rdpOfSampledGaussian(0, 0, 32), 0)
    assert.equal(rdpOfSampledGaussian(0.5, 0, 32), Infinity)
  })

  it('stays finite at order 1024 with tiny sigma, where the top term dominates', () => {
    const q = 0.01
    const sigma = 0.1
    const alpha = 1024
    const r = rdpOfSampledGaussian(q, sigma, alpha)
    assert.ok(Number.isFinite(r))
    // log A ~ alpha log q + (alpha^2 - alpha) / (2 sigma^2): the i = alpha term, the others far below it.
    close(r, (alpha * Math.log(q) + (alpha * alpha - alpha) / (2 * sigma ** 2)) / (alpha - 1), 1e-9)
  })

  it('composes by adding: T steps cost T times one, zero steps cost nothing even without noise', () => {
    const one = composedRdp(0.05, 1.2, 1)
    const many = composedRdp(0.05, 1.2, 700)
    one.forEach((r, i) => close(many[i] as number, 700 * r, 1e-14))
    assert.deepEqual(composedRdp(0.5, 0, 0), RDP_ORDERS.map(() => 0))
  })

  it('refuses parameters out of range, naming them', () => {
    assert.throws(() => rdpOfSampledGaussian(1.5, 1, 2), isParameterError('samplingRate'))
    assert.throws(() => rdpOfSampledGaussian(-0.1, 1, 2), isParameterError('samplingRate'))
    assert.throws(() => rdpOfSampledGaussian(Number.NaN, 1, 2), isParameterError('samplingRate'))
    assert.throws(() => rdpOfSampledGaussian(0.1, -1, 2), isParameterError('noiseMultiplier'))
    assert.throws(() => rdpOfSampledGaussian(0.1, Number.NaN, 2), isParameterError('noiseMultiplier'))
    assert.throws(() => rdpOfSampledGaussian(0.1, 1, 2.5), isParameterError('order'))
    assert.throws(() => rdpOfSampledGaussian(0.1, 1, 1), isParameterError('order'))
    assert.throws(() => composedRdp(0.1, 1, 1.5), isParameterError('steps'))
    assert.throws(() => composedRdp(0.1, 1, -1), isParameterError('steps'))
  })
})

describe('privacy: epsilon from RDP', () => {
  // Reference values from Google's dp-accounting 0.6.0 (RdpAccountant at these orders), issue 15.
  const REFERENCE = [
    { samplingRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14062, delta: 1e-5, epsilon: 2.596981179, order: 8 },
    { samplingRate: 0.01, noiseMultiplier: 1.0, steps: 1000, delta: 1e-5, epsilon: 2.107753075, order: 8 },
    { samplingRate: 0.004, noiseMultiplier: 2.0, steps: 10000, delta: 1e-5, epsilon: 0.8618753227, order: 20 }
  ]
  for (const ref of REFERENCE) {
    it(`agrees with dp-accounting 0.6.0: q=${ref.samplingRate.toPrecision(4)} sigma=${ref.noiseMultiplier} ${ref.steps} steps -> ${ref.epsilon} at order ${ref.order}`, () => {
      const got = computeEpsilon(ref, ref.delta)
      close(got.epsilon, ref.epsilon, 1e-6)
      assert.equal(got.order, ref.order)
    })
  }

  it('converts one order as rdp + log(1 - 1/alpha) - log(delta alpha) / (alpha - 1) (Balle et al. 2020, Prop. 12)', () => {
    const got = epsilonFromRdp([2], [1], 1e-5)
    close(got.epsilon, 1 + Math.log(0.5) - Math.log(2e-5), 1e-14)
    assert.equal(got.order, 2)
  })

  it('takes the best order, and the first of tied ones', () => {
    const delta = 1e-5
    const at = (alpha: number, r: number): number => r + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1)
    const got = epsilonFromRdp([2, 10, 100], [0.1, 0.5, 3], delta)
    const expected = Math.min(at(2, 0.1), at(10, 0.5), at(100, 3))
    close(got.epsilon, expected, 1e-14)
    assert.equal(got.order, 10)
    assert.equal(epsilonFromRdp([5, 6], [Infinity, Infinity], delta).order, 5)
  })

  it('gives 0 where the KL bound sqrt(1 - exp(-rdp)) <= delta already holds, and never a negative epsilon', () => {
    assert.equal(epsilonFromRdp([2, 3], [1e-12, 1], 1e-5).epsilon, 0)
    assert.equal(epsilonFromRdp([2], [-1e-17], 1e-5).epsilon, 0)
    assert.equal(computeEpsilon({ samplingRate: 0.01, noiseMultiplier: 1e6, steps: 1000 }, 1e-5).epsilon, 0)
  })

  it('q = 1 is the Gaussian mechanism: the best order of alpha T / (2 sigma^2) converted', () => {
    const sigma = 5
    const steps = 10
    const delta = 1e-6
    const expected = Math.min(...RDP_ORDERS.map(a => (a * steps) / (2 * sigma ** 2) + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1)))
    close(computeEpsilon({ samplingRate: 1, noiseMultiplier: sigma, steps }, delta).epsilon, expected, 1e-14)
  })

  it('q = 0 or no steps spend nothing; no noise spends everything', () => {
    assert.equal(computeEpsilon({ samplingRate: 0, noiseMultiplier: 1, steps: 1000 }, 1e-5).epsilon, 0)
    assert.equal(computeEpsilon({ samplingRate: 0.5, noiseMultiplier: 0, steps: 0 }, 1e-5).epsilon, 0)
    assert.equal(computeEpsilon({ samplingRate: 0.5, noiseMultiplier: 0, steps: 1 }, 1e-5).epsilon, Infinity)
    assert.equal(computeEpsilon({ samplingRate: 0.5, noiseMultiplier: 1e-200, steps: 1 }, 1e-5).epsilon, Infinity)
  })

  it('grows with steps and sampling rate and falls with sigma (a seeded grid)', () => {
    let seed = 11
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    for (let k = 0; k < 12; k++) {
      const q = 10 ** (-3 + 2.5 * random())
      const sigma = 0.5 + 3 * random()
      const steps = 1 + Math.floor(5000 * random())
      const eps = (qq: number, s: number, t: number): number => computeEpsilon({ samplingRate: qq, noiseMultiplier: s, steps: t }, 1e-5).epsilon
      const base = eps(q, sigma, steps)
      assert.ok(eps(q, sigma, steps * 2) > base, 'steps')
      assert.ok(eps(Math.min(1, q * 1.5), sigma, steps) > base, 'q')
      assert.ok(eps(q, sigma * 1.2, steps) < base, 'sigma')
    }
  })

  it('refuses delta outside (0, 1) and malformed RDP lists', () => {
    const run = { samplingRate: 0.01, noiseMultiplier: 1, steps: 10 }
    for (const delta of [0, 1, -1e-5, Number.NaN]) assert.throws(() => computeEpsilon(run, delta), isParameterError('delta'))
    assert.throws(() => epsilonFromRdp([2, 3], [1], 1e-5), isParameterError('orders'))
    assert.throws(() => epsilonFromRdp([1], [1], 1e-5), isParameterError('orders'))
  })
})
