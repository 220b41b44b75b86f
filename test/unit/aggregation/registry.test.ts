import assert from 'node:assert/strict'
import { AggregationPreconditionError, AggregationSpecError, RULE_NAMES, WEIGHT_BOUND, clampAggregate, createAggregator } from '../../../src/aggregation/index.ts'
import { plain, vectors } from './fixtures.ts'

function specError (spec: Record<string, unknown> & { rule: string }, setting: string, ...mentions: string[]): void {
  assert.throws(() => createAggregator(spec), (error: unknown) => {
    assert.ok(error instanceof AggregationSpecError, String(error))
    assert.equal(error.setting, setting)
    for (const text of mentions) assert.ok(error.message.includes(text), `"${error.message}" should mention ${text}`)
    return true
  })
}

describe('rule registry', () => {
  it('registers the full rule set', () => {
    assert.deepEqual([...RULE_NAMES].sort(), [
      'centered-clipping', 'clipped-gossip', 'cs-plus', 'geometric-median', 'krum', 'mean', 'median', 'multi-krum', 'trimmed-mean'
    ])
  })

  it('states each rule\'s minimum number of inputs', () => {
    const cases: Array<[Record<string, unknown> & { rule: string }, number, number]> = [
      [{ rule: 'mean' }, 0, 1],
      [{ rule: 'median' }, 1, 3],
      [{ rule: 'median', f: 2 }, 2, 5],
      [{ rule: 'trimmed-mean', b: 2 }, 2, 5],
      [{ rule: 'trimmed-mean', f: 1, b: 3 }, 1, 7],
      [{ rule: 'krum', f: 1 }, 1, 5],
      [{ rule: 'multi-krum', f: 1 }, 1, 5],
      [{ rule: 'multi-krum', f: 1, m: 6 }, 1, 7],
      [{ rule: 'geometric-median', f: 2 }, 2, 5],
      [{ rule: 'centered-clipping', f: 1 }, 1, 3],
      [{ rule: 'clipped-gossip', f: 2 }, 2, 4],
      [{ rule: 'cs-plus', f: 2 }, 2, 6],
      [{ rule: 'median', f: 1, bucketing: 2 }, 1, 5],
      [{ rule: 'cs-plus', f: 1, bucketing: 2 }, 1, 6],
      [{ rule: 'clipped-gossip', f: 1, bucketing: 3 }, 1, 5]
    ]
    for (const [spec, f, minInputs] of cases) {
      const agg = createAggregator(spec)
      assert.equal(agg.name, spec.rule)
      assert.deepEqual([agg.f, agg.minInputs], [f, minInputs], JSON.stringify(spec))
    }
  })

  it('names an unknown rule and lists the known ones', () => {
    specError({ rule: 'fedavg' }, 'aggregation.rule', '"fedavg"', '"median"', '"cs-plus"')
    specError({ rule: 'toString' }, 'aggregation.rule', '"toString"')
  })

  it('names a bad setting, its value and what is allowed', () => {
    specError({ rule: 'median', f: -1 }, 'aggregation.f', '-1', 'integer >= 0')
    specError({ rule: 'median', f: 1.5 }, 'aggregation.f', '1.5')
    specError({ rule: 'median', f: '1' }, 'aggregation.f', '"1"')
    specError({ rule: 'mean', f: 1 }, 'aggregation.f', 'from 0 to 0')
    specError({ rule: 'trimmed-mean', f: 2, b: 1 }, 'aggregation.b', 'aggregation.f')
    specError({ rule: 'geometric-median', nu: 0 }, 'aggregation.nu', '> 0')
    specError({ rule: 'centered-clipping', center: 'mean' }, 'aggregation.center', '"median", "own"')
    specError({ rule: 'clipped-gossip', tau: 'auto' }, 'aggregation.tau', '"adaptive"')
    specError({ rule: 'median', bucketing: 0 }, 'aggregation.bucketing', '0')
    specError({ rule: 'median', nnm: 'yes' }, 'aggregation.nnm', '"yes"', 'true or false')
    specError({ rule: 'cs-plus', nnm: true }, 'aggregation.nnm', '"cs-plus"', '"median", "trimmed-mean", "krum", "multi-krum"')
    specError({ rule: 'median', nnm: true, bucketing: 2 }, 'aggregation.nnm', 'one of the two')
  })

  it('refuses settings the rule does not have, so a typo cannot pass silently', () => {
    specError({ rule: 'median', b: 1 }, 'aggregation.b', 'has no setting "b"')
    specError({ rule: 'centered-clipping', tua: 3 }, 'aggregation.tua', 'tau')
    specError({ rule: 'median', seed: 3 }, 'aggregation.seed', 'bucketing')
  })

  it('reads the peer-alignment memory\'s settings, which the rule itself leaves alone', () => {
    assert.equal(createAggregator({ rule: 'trimmed-mean', b: 1, nnm: true }).alignment, undefined)
    assert.deepEqual(createAggregator({ rule: 'trimmed-mean', b: 1, nnm: true, alignmentThreshold: -0.1 }).alignment, { threshold: -0.1, decay: 0.9, warmupRounds: 10, withOwn: false, ceiling: 1 })
    assert.deepEqual(createAggregator({ rule: 'median', alignmentThreshold: 0, alignmentDecay: 0.5, alignmentWarmup: 3 }).alignment, { threshold: 0, decay: 0.5, warmupRounds: 3, withOwn: false, ceiling: 1 })
    specError({ rule: 'median', alignmentThreshold: -2 }, 'aggregation.alignmentThreshold', '-2', 'from -1 to 1')
    specError({ rule: 'median', alignmentThreshold: '-0.1' }, 'aggregation.alignmentThreshold', '"-0.1"')
    specError({ rule: 'median', alignmentThreshold: 0, alignmentDecay: 1 }, 'aggregation.alignmentDecay', 'from 0 to 0.999')
    specError({ rule: 'median', alignmentThreshold: 0, alignmentWarmup: 0 }, 'aggregation.alignmentWarmup', 'integer from 1')
    specError({ rule: 'median', alignmentDecay: 0.5 }, 'aggregation.alignmentDecay', 'without aggregation.alignmentThreshold')
    assert.equal(createAggregator({ rule: 'median', alignmentThreshold: 0, alignmentWithOwn: true }).alignment?.withOwn, true)
    specError({ rule: 'median', alignmentThreshold: 0, alignmentWithOwn: 1 }, 'aggregation.alignmentWithOwn', 'true or false')
    specError({ rule: 'median', alignmentWithOwn: true }, 'aggregation.alignmentWithOwn', 'without aggregation.alignmentThreshold')
    assert.equal(createAggregator({ rule: 'median', alignmentThreshold: -0.1, alignmentCeiling: 0.3 }).alignment?.ceiling, 0.3)
    specError({ rule: 'median', alignmentThreshold: -0.1, alignmentCeiling: -0.1 }, 'aggregation.alignmentCeiling', 'got -0.1', 'above aggregation.alignmentThreshold (-0.1)')
    specError({ rule: 'median', alignmentThreshold: -0.1, alignmentCeiling: 2 }, 'aggregation.alignmentCeiling', 'from -1 to 1')
    specError({ rule: 'median', alignmentCeiling: 0.3 }, 'aggregation.alignmentCeiling', 'without aggregation.alignmentThreshold')
  })

  it('refuses too few inputs at aggregation time, naming the rule and its need', () => {
    const agg = createAggregator({ rule: 'median', f: 2 })
    const [own, ...peers] = vectors([1], [2], [3], [4])
    assert.throws(() => agg.aggregate(own as Float32Array, peers), (error: unknown) =>
      error instanceof AggregationPreconditionError && /median with f=2 needs at least 5 inputs/.test(error.message))
  })

  it('passes the own model first to symmetric rules and as the centre to own-centred ones', () => {
    const [own, ...peers] = vectors([0], [10], [20], [30], [40])
    assert.deepEqual(plain(createAggregator({ rule: 'median', f: 1 }).aggregate(own as Float32Array, peers)), [20])
    // Own-centred centered clipping starts from the own model: 0 + (0 + 1 + 1 + 1 + 1)/5 with τ = 1, L = 1.
    const cc = createAggregator({ rule: 'centered-clipping', f: 1, center: 'own', tau: 1, iterations: 1 })
    assert.equal(cc.ownCentred, true)
    assert.deepEqual(plain(cc.aggregate(own as Float32Array, peers)), [Math.fround(0.8)])
  })

  it('returns a frozen aggregator', () => {
    assert.ok(Object.isFrozen(createAggregator({ rule: 'median' })))
  })
})

describe('aggregate bound', () => {
  it('clamps every rule\'s aggregate to ±WEIGHT_BOUND: the mean of exploding models stays finite', () => {
    const mean = createAggregator({ rule: 'mean' })
    const huge = Float32Array.of(3e38, -3e38, 1)
    const out = mean.aggregate(huge, [huge.slice(), Float32Array.of(3e38, -3e38, 1)])
    assert.deepEqual([...out], [WEIGHT_BOUND, -WEIGHT_BOUND, 1])
    assert.deepEqual([...mean.aggregate(Float32Array.of(4 * WEIGHT_BOUND), [Float32Array.of(0)])], [WEIGHT_BOUND])
  })

  it('leaves aggregates inside the bound as they are, and replaces NaN by the own coordinate', () => {
    const inside = Float32Array.of(1, -2, 99)
    assert.equal(clampAggregate(inside, inside), inside)
    assert.deepEqual([...clampAggregate(Float32Array.of(NaN, Infinity), Float32Array.of(7, 0))], [7, WEIGHT_BOUND])
    const median = createAggregator({ rule: 'median', f: 1 })
    assert.deepEqual([...median.aggregate(Float32Array.of(1), [Float32Array.of(2), Float32Array.of(3)])], [2])
  })
})
