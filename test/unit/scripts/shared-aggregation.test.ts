import assert from 'node:assert/strict'
import { coordinateMedian, createAggregator } from '../../../src/aggregation/index.ts'
import type { AggregationSpec } from '../../../src/protocol/index.ts'
import { updateCosine } from '../../../src/round/index.ts'
import { SharedAggregation } from '../../../scripts/robustness/shared-aggregation.ts'
import { copies, maxAbsDifference, randomVectors, seededRandom } from '../aggregation/fixtures.ts'

/** What node `i` of a complete graph aggregates: its own model first, then every other (its own copies, as each node decodes its own). */
function nodeInputs (models: readonly Float32Array[], i: number): [Float32Array, Float32Array[]] {
  return [models[i] as Float32Array, copies(models.filter((_, j) => j !== i))]
}

describe('scripts/robustness/SharedAggregation', () => {
  const models = randomVectors(seededRandom(7), 16, 300, 1)

  for (const spec of [{ rule: 'median', f: 3, nnm: true }, { rule: 'trimmed-mean', b: 3 }, { rule: 'geometric-median', f: 3 }, { rule: 'krum', f: 3 }] as AggregationSpec[]) {
    it(`runs ${JSON.stringify(spec)} once for the sixteen nodes of a complete graph, each getting the rule's result for its inputs`, () => {
      const rule = createAggregator(spec)
      const shared = new SharedAggregation(rule, false)
      for (let i = 0; i < models.length; i++) {
        const [own, peers] = nodeInputs(models, i)
        const got = shared.aggregator.aggregate(own, peers)
        const expected = rule.aggregate(own, peers)
        assert.ok(maxAbsDifference(got, expected) < 1e-5, `node ${i}: differs by ${maxAbsDifference(got, expected)}`)
      }
      assert.equal(shared.computations.length, 1)
      assert.equal(shared.aggregator.name, rule.name)
      assert.equal(shared.aggregator.minInputs, rule.minInputs)
    })
  }

  it('runs the rule again for another set of inputs', () => {
    const shared = new SharedAggregation(createAggregator({ rule: 'median', f: 3 }), false)
    shared.aggregator.aggregate(models[0] as Float32Array, models.slice(1))
    shared.aggregator.aggregate(models[0] as Float32Array, models.slice(1, 15))
    const changed = (models[15] as Float32Array).slice()
    changed[299] = (changed[299] as number) + 1e-3
    shared.aggregator.aggregate(models[0] as Float32Array, [...models.slice(1, 15), changed])
    assert.equal(shared.computations.length, 3)
  })

  it('computes the coordinate-wise median once per set of inputs, whatever their order, as coordinateMedian does', () => {
    const shared = new SharedAggregation(createAggregator({ rule: 'median', f: 3 }), false)
    const results = new Set<Float32Array>()
    for (let i = 0; i < models.length; i++) {
      const [own, peers] = nodeInputs(models, i)
      const got = shared.alignment.median([own, ...peers])
      assert.deepEqual(got, coordinateMedian([own, ...peers]))
      results.add(got)
    }
    // One result object for the sixteen nodes: computed once.
    assert.equal(results.size, 1)
    assert.notEqual(shared.alignment.median(models.slice(1)), [...results][0])
  })

  it('gives the cosine of each peer\'s update with the median, per start, as updateCosine does, asked of each node\'s own copies', () => {
    const shared = new SharedAggregation(createAggregator({ rule: 'median', f: 3 }), false)
    const start = randomVectors(seededRandom(8), 1, 300, 1)[0] as Float32Array
    const median = shared.alignment.median(models)
    for (let i = 0; i < models.length; i++) {
      const [, peers] = nodeInputs(models, i)
      for (const peer of peers) assert.equal(shared.alignment.cosine(peer, median, start.slice()), updateCosine(peer, median, start))
    }
    // Another start, another cosine.
    const other = start.map(v => v + 0.5)
    assert.equal(shared.alignment.cosine(models[1] as Float32Array, median, other), updateCosine(models[1] as Float32Array, median, other))
    assert.notEqual(updateCosine(models[1] as Float32Array, median, other), updateCosine(models[1] as Float32Array, median, start))
  })

  const passedThrough: Array<[string, AggregationSpec, boolean]> = [
    ['an own-centred rule (clipped gossip)', { rule: 'clipped-gossip', f: 3 }, false],
    ['random buckets (their draw depends on the order)', { rule: 'median', f: 1, bucketing: 2, seed: 1 }, true]
  ]
  for (const [name, spec, bucketed] of passedThrough) {
    it(`leaves ${name} to every node, bit for bit`, () => {
      const rule = createAggregator(spec)
      const shared = new SharedAggregation(rule, bucketed)
      for (let i = 0; i < 4; i++) {
        const [own, peers] = nodeInputs(models, i)
        assert.deepEqual(shared.aggregator.aggregate(own, peers), rule.aggregate(own, peers))
      }
      assert.equal(shared.computations.length, 4)
    })
  }

  it('leaves inputs beyond ±2^49 to every node (the clamp\'s NaN fallback takes the node\'s own coordinate)', () => {
    const rule = createAggregator({ rule: 'median', f: 3 })
    const shared = new SharedAggregation(rule, false)
    const huge = (models[15] as Float32Array).slice()
    huge[0] = 1e20
    const inputs = [...models.slice(0, 15), huge]
    for (let i = 0; i < 3; i++) {
      const [own, peers] = nodeInputs(inputs, i)
      assert.deepEqual(shared.aggregator.aggregate(own, peers), rule.aggregate(own, peers))
    }
    assert.equal(shared.computations.length, 3)
  })
})
