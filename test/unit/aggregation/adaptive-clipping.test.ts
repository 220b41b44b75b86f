import assert from 'node:assert/strict'
import { AggregationPreconditionError, adaptiveRobustClipping, arcClipCount, createAggregator } from '../../../src/aggregation/index.ts'
import { distance, plain, randomVectors, seededRandom, vectors } from './fixtures.ts'

describe('adaptiveRobustClipping', () => {
  it('clips ⌊2·(f/n)·(n − f)⌋ inputs', () => {
    assert.equal(arcClipCount(16, 5), 6) // 2·5/16·11 = 6.875
    assert.equal(arcClipCount(16, 3), 4) // 2·3/16·13 = 4.875
    assert.equal(arcClipCount(7, 3), 3) // 2·3/7·4 = 3.43
    assert.equal(arcClipCount(16, 0), 0)
  })

  it('pulls the k farthest peers in to the (k+1)-th largest distance from the own model, along the line to it', () => {
    // n = 5, f = 1: k = ⌊2·(1/5)·4⌋ = 1; distances 0, 1, 2, 3, 30: the 30 is pulled in to 3.
    const [own, ...peers] = vectors([0, 0], [1, 0], [0, 2], [0, -3], [30, 0]) as [Float32Array, ...Float32Array[]]
    const out = adaptiveRobustClipping(own, peers, 1)
    assert.deepEqual(out.map(plain), [[1, 0], [0, 2], [0, -3], [3, 0]])
    assert.ok(out[0] === peers[0] && out[1] === peers[1] && out[2] === peers[2], 'peers within the radius are passed on as they are')
    // f = 2: k = ⌊2·(2/5)·3⌋ = 2: the -3 and the 30 are pulled in to 2.
    assert.deepEqual(adaptiveRobustClipping(own, peers, 2).map(plain), [[1, 0], [0, 2], [0, -2], [2, 0]])
  })

  it('clips around the own model, not the origin', () => {
    const [own, ...peers] = vectors([10], [11], [12], [13], [40]) as [Float32Array, ...Float32Array[]]
    assert.deepEqual(adaptiveRobustClipping(own, peers, 1).map(plain), [[11], [12], [13], [13]])
  })

  it('clips a non-finite peer to the own model and never mutates the inputs', () => {
    const [own, ...peers] = vectors([1, 1], [2, 1], [1, 2], [0, 1], [NaN, 5]) as [Float32Array, ...Float32Array[]]
    const out = adaptiveRobustClipping(own, peers, 1)
    assert.deepEqual(plain(out[3] as Float32Array), [1, 1])
    assert.ok(out[3] !== own, 'a new vector, not the own model')
    assert.ok(Number.isNaN(peers[3]?.[0]))
  })

  it('leaves every peer within the (k+1)-th largest distance on random inputs', () => {
    const random = seededRandom(3)
    for (const [n, f] of [[16, 5], [16, 3], [7, 3]] as const) {
      const [own, ...peers] = randomVectors(random, n, 101, 2) as [Float32Array, ...Float32Array[]]
      const before = [0, ...peers.map(p => distance(p, own))].sort((a, b) => b - a)
      const tau = before[arcClipCount(n, f)] as number
      const after = adaptiveRobustClipping(own, peers, f).map(p => distance(p, own))
      assert.ok(after.every(d => d <= tau * (1 + 1e-6)), `n=${n} f=${f}: ${Math.max(...after)} against ${tau}`)
      assert.equal(after.filter((d, i) => Math.abs(d - distance(peers[i] as Float32Array, own)) > 1e-6 * tau).length, arcClipCount(n, f))
    }
  })

  it('checks f and the lengths', () => {
    const [own, ...peers] = vectors([0], [1], [2]) as [Float32Array, ...Float32Array[]]
    assert.throws(() => adaptiveRobustClipping(own, peers, -1), AggregationPreconditionError)
    assert.throws(() => adaptiveRobustClipping(own, [Float32Array.of(1, 2)], 1), /input 1 has 2 values/)
  })
})

describe('createAggregator with arc', () => {
  it('runs the rule on the clipped peers, which changes its result', () => {
    const random = seededRandom(5)
    const [own, ...peers] = randomVectors(random, 9, 31) as [Float32Array, ...Float32Array[]]
    const far = randomVectors(random, 2, 31, 20)
    for (const spec of [{ rule: 'trimmed-mean', b: 2 }, { rule: 'median', f: 2, nnm: true }]) {
      const inputs = [...peers, ...far]
      const withArc = createAggregator({ ...spec, arc: true }).aggregate(own, inputs)
      const plainRule = createAggregator(spec)
      assert.deepEqual(plain(withArc), plain(plainRule.aggregate(own, adaptiveRobustClipping(own, inputs, 2))), spec.rule)
      assert.notDeepEqual(plain(withArc), plain(plainRule.aggregate(own, inputs)), `${spec.rule}: the clipping changed nothing`)
    }
    const arc = createAggregator({ rule: 'median', f: 1, arc: true })
    assert.ok(arc.ownCentred, 'the result depends on which input is the own model')
    assert.match(arc.requirement, /adaptive robust clipping/)
  })

  it('evaluates a repeated input as aggregate does, with mixing too', () => {
    const random = seededRandom(9)
    const [own, ...peers] = randomVectors(random, 12, 53) as [Float32Array, ...Float32Array[]]
    const [x] = randomVectors(random, 1, 53, 4) as [Float32Array]
    const agg = createAggregator({ rule: 'trimmed-mean', b: 3, nnm: true, arc: true })
    const expected = agg.aggregate(own, [...peers, x, x, x])
    assert.deepEqual(plain(agg.withRepeatedInput(own, peers, 3)(x)), plain(expected))
  })

  it('refuses arc with a rule other than the median and the trimmed mean', () => {
    assert.throws(() => createAggregator({ rule: 'clipped-gossip', arc: true }), /aggregation\.arc.*got true for rule "clipped-gossip", allowed only with "median", "trimmed-mean"/)
    assert.throws(() => createAggregator({ rule: 'krum', arc: true }), /aggregation\.arc/)
    assert.throws(() => createAggregator({ rule: 'median', arc: 1 }), /aggregation\.arc/)
  })
})
