import assert from 'node:assert/strict'
import { coordinateMedian, createAggregator, nearestNeighbourGroups, nearestNeighbourMixing, ruleAfterNearestNeighbourMixing, trimmedMean } from '../../../src/aggregation/index.ts'
import { plain, randomVectors, seededRandom, vectors } from './fixtures.ts'

describe('nearest-neighbour mixing', () => {
  it('mixes each input with its k − f nearest, itself first, ties to the lower index', () => {
    const inputs = vectors([0], [1], [3], [100])
    assert.deepEqual(nearestNeighbourGroups(inputs, 1), [[0, 1, 2], [1, 0, 2], [2, 1, 0], [3, 2, 1]])
    // 1 is as far from 0 as from 2: the lower index wins.
    assert.deepEqual(nearestNeighbourGroups(vectors([0], [1], [2]), 1), [[0, 1], [1, 0], [2, 1]])
    assert.deepEqual(nearestNeighbourMixing(inputs, { f: 1 }).map(v => v[0]), [4 / 3, 4 / 3, 4 / 3, 104 / 3].map(Math.fround))
  })

  it('with f = 0 gives every input the mean of all', () => {
    assert.deepEqual(nearestNeighbourMixing(vectors([0, 2], [4, 6]), { f: 0 }).map(plain), [[2, 4], [2, 4]])
  })

  it('treats a NaN input as the farthest from every other', () => {
    assert.deepEqual(nearestNeighbourGroups(vectors([0], [NaN], [5], [6]), 1)[0], [0, 2, 3])
  })

  it('keeps honest inputs away from an outlier, so the median after it ignores the outlier', () => {
    const honest = randomVectors(seededRandom(5), 6, 20, 1, 0)
    const outliers = vectors(new Array<number>(20).fill(1e6), new Array<number>(20).fill(1e6))
    const mixed = nearestNeighbourMixing([...honest, ...outliers], { f: 2 })
    for (const m of mixed.slice(0, 6)) assert.ok(m.every(x => Math.abs(x) < 2), 'an honest input was mixed with an outlier')
    const agg = createAggregator({ rule: 'median', f: 2, nnm: true })
    const out = agg.aggregate(honest[0] as Float32Array, [...honest.slice(1), ...outliers])
    assert.ok(out.every(x => Math.abs(x) < 2))
  })

  it('brings the median of IID inputs closer to their mean than the plain median', () => {
    const inputs = randomVectors(seededRandom(9), 16, 500, 1, 0)
    const average = new Float32Array(500).map((_, t) => inputs.reduce((sum, v) => sum + (v[t] as number), 0) / 16)
    const error = (v: Float32Array): number => Math.hypot(...v.map((x, t) => x - (average[t] as number)))
    const [own, ...peers] = inputs as [Float32Array, ...Float32Array[]]
    const plainMedian = createAggregator({ rule: 'median', f: 3 }).aggregate(own, peers)
    const mixedMedian = createAggregator({ rule: 'median', f: 3, nnm: true }).aggregate(own, peers)
    assert.ok(error(mixedMedian) < error(plainMedian) / 2, `${error(mixedMedian)} vs ${error(plainMedian)}`)
  })

  it('runs a coordinate-wise rule block by block with the same result as over the whole mixed inputs', () => {
    // 40,000 coordinates: several blocks, the last one partial; the rules use the kernels' memory between blocks.
    const inputs = randomVectors(seededRandom(11), 9, 40_003)
    for (const rule of [coordinateMedian, (x: readonly Float32Array[]) => trimmedMean(x, { b: 2 })]) {
      const whole = rule(nearestNeighbourMixing(inputs, { f: 2 }))
      assert.deepEqual(ruleAfterNearestNeighbourMixing(inputs, rule, { f: 2, coordinateWise: true }), whole)
    }
  })

  it('checks f against the number of inputs', () => {
    assert.throws(() => nearestNeighbourMixing(vectors([1], [2]), { f: 2 }), /needs at least 3 inputs/)
    assert.throws(() => nearestNeighbourMixing(vectors([1], [2]), { f: -1 }), /f must be an integer >= 0/)
  })
})
