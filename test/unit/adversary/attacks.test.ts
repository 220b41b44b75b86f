import assert from 'node:assert/strict'
import {
  adaptiveAlieModel, adaptiveIpmModel, alieDefaultZ, alieModel, coordinateStatistics,
  dissensusModel, gaussianModel, honestView, ipmModel, lineSearch, normalQuantile, signFlipModel
} from '../../../src/adversary/index.ts'
import { AggregationPreconditionError, createAggregator } from '../../../src/aggregation/index.ts'
import { copies, maxAbsDifference, plain, vectors } from '../aggregation/fixtures.ts'

// Three honest models; per coordinate: mean [2, 0], population std [sqrt(2/3), 0].
const HONEST = vectors([1, 0], [2, 0], [3, 0])
const STD0 = Math.sqrt(2 / 3)

describe('attacks', () => {
  it('coordinate statistics: mean and population standard deviation', () => {
    const { mean, std } = coordinateStatistics(HONEST)
    assert.deepEqual(plain(mean), [2, 0])
    assert.ok(Math.abs((std[0] as number) - STD0) < 1e-6)
    assert.equal(std[1], 0)
  })

  it('sign flip sends the negated honest mean', () => {
    assert.deepEqual(plain(signFlipModel(HONEST)).map(v => v + 0), [-2, 0])
  })

  it('gaussian adds sigma times the given normal draws to the honest mean', () => {
    const draws = [0.5, -1]
    let i = 0
    assert.deepEqual(plain(gaussianModel(HONEST, () => draws[i++] as number, 2)), [3, -2])
  })

  it('ALIE sends mean - z std; z from Baruch et al.\'s formula', () => {
    const out = alieModel(HONEST, 3)
    assert.ok(Math.abs((out[0] as number) - (2 - 3 * STD0)) < 1e-6)
    assert.equal(out[1], 0)
    // n=16, f=3: s = floor(9) - 3 = 6, p = (16-3-6)/13 = 7/13, z = Φ⁻¹(0.5385) ≈ 0.0966.
    assert.ok(Math.abs(alieDefaultZ(16, 3) - 0.0966) < 1e-3)
    // n=25, f=5: s = 13 - 5 = 8, p = 12/20 = 0.6, z = Φ⁻¹(0.6) ≈ 0.2533.
    assert.ok(Math.abs(alieDefaultZ(25, 5) - 0.2533) < 1e-3)
    assert.equal(alieDefaultZ(4, 3), 0) // p <= 0: no admissible z
    assert.throws(() => alieDefaultZ(3, 3), AggregationPreconditionError)
  })

  it('normal quantile matches tabulated values', () => {
    assert.ok(Math.abs(normalQuantile(0.5)) < 1e-9)
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6)
    assert.ok(Math.abs(normalQuantile(0.01) + 2.326348) < 1e-6)
    assert.throws(() => normalQuantile(1), RangeError)
  })

  it('IPM sends -epsilon times the honest mean', () => {
    assert.deepEqual(plain(ipmModel(HONEST, 0.5)).map(v => v + 0), [-1, 0])
  })

  it('dissensus reverses the target\'s gossip step', () => {
    // target 1, others 2 and 3: honest step sum = (2-1)+(3-1) = 3; eps 1.5, 3 attackers: 1 - 1.5*3/3 = -0.5.
    const target = HONEST[0] as Float32Array
    assert.deepEqual(plain(dissensusModel(target, HONEST.slice(1), 3, 1.5)), [-0.5, 0])
    // The mean over target, others and 3 attack copies moves the target by (1 - eps) of its honest step:
    // (1 + 2 + 3 + 3*(-0.5)) / 6 = 0.75 = 1 + (1 - 1.5) * 3/6.
    const out = createAggregator({ rule: 'mean' }).aggregate(target, [...HONEST.slice(1), ...Array.from({ length: 3 }, () => dissensusModel(target, HONEST.slice(1), 3, 1.5))])
    assert.deepEqual(plain(out), [0.75, 0])
    assert.throws(() => dissensusModel(target, HONEST.slice(1), 0), AggregationPreconditionError)
  })

  it('attacks never mutate the honest models', () => {
    const before = copies(HONEST)
    signFlipModel(HONEST); alieModel(HONEST, 1); ipmModel(HONEST); dissensusModel(HONEST[0] as Float32Array, HONEST.slice(1), 1)
    adaptiveAlieModel(createAggregator({ rule: 'median', f: 1 }), HONEST, 1)
    assert.deepEqual(HONEST, before)
  })

  it('line search uses exactly the given evaluations and climbs to the maximum', () => {
    let calls = 0
    // Maximum of -(x-7)^2 at 7; from 0 with step 10: 10 (-9) beats 0 (-49), then 20, 0 fail, step 8...
    const { factor } = lineSearch(x => { calls++; return -((x - 7) ** 2) }, { evaluations: 20, start: 0, delta: 10, ratio: 0.8 })
    assert.equal(calls, 20)
    assert.ok(Math.abs(factor - 7) < 1.5, String(factor))
  })

  it('honest view aggregates the first honest model with the rest and the attack copies', () => {
    // median of [1, 2, 3, 10, 10] = 3
    assert.deepEqual(plain(honestView(createAggregator({ rule: 'median', f: 2 }), HONEST, Float32Array.from([10, 0]), 2)), [3, 0])
  })

  it('adaptive attacks fall back to their fixed defaults when too few honest models are in for the rule', () => {
    // median f=2 needs 5 inputs: 3 honest + 1 attacker is too few to search against.
    const median = createAggregator({ rule: 'median', f: 2 })
    const ipm = adaptiveIpmModel(median, HONEST, 1)
    assert.equal(ipm.factor, 0.1)
    assert.equal(maxAbsDifference(ipm.model, ipmModel(HONEST)), 0)
    const alie = adaptiveAlieModel(median, HONEST, 1)
    assert.equal(alie.factor, alieDefaultZ(4, 1))
    assert.equal(maxAbsDifference(alie.model, alieModel(HONEST, alieDefaultZ(4, 1))), 0)
  })

  it('adaptive attacks push the mean further than their fixed defaults, and stay finite', () => {
    const mean = createAggregator({ rule: 'mean' })
    const { factor, model } = adaptiveIpmModel(mean, HONEST, 2)
    // Against the mean the objective grows with |epsilon|: the search walks outwards every step.
    assert.ok(Math.abs(factor) > 10, String(factor))
    assert.ok(model.every(Number.isFinite))
    const alie = adaptiveAlieModel(mean, HONEST, 2)
    assert.ok(Math.abs(alie.factor) > 10, String(alie.factor))
  })
})
