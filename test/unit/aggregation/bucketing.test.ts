import assert from 'node:assert/strict'
import { bucketMeans, bucketing, coordinateMedian, mean } from '../../../src/aggregation/index.ts'
import { permutation, plain, randomVectors, seededRandom, vectors } from './fixtures.ts'

/** The bucket means as sorted plain arrays, for comparisons that ignore bucket order. */
function canonical (means: readonly Float32Array[]): string[] {
  return means.map(m => JSON.stringify(plain(m))).sort()
}

describe('bucketing', () => {
  it('averages groups of s inputs, each input in exactly one group', () => {
    // Distinct powers of two: a pair's mean has two bits set, so the lone input stands out.
    const inputs = vectors([1], [2], [4], [8], [16], [32], [64])
    const means = bucketMeans(inputs, { s: 2 }).map(m => m[0] as number)
    assert.equal(means.length, 4)
    const alone = means.filter(x => Number.isInteger(Math.log2(x)))
    assert.equal(alone.length, 1)
    assert.equal(means.reduce((sum, x) => sum + 2 * x, 0) - (alone[0] as number), 127)
  })

  it('gives the mean when wrapped around the mean with equal buckets', () => {
    assert.deepEqual(plain(bucketing(vectors([0], [2], [4], [6]), mean)), [3])
  })

  it('feeds the bucket means to the wrapped rule', () => {
    // Whatever the pairing, the median of two bucket means of {0, 0, 10, 10} is 5.
    assert.deepEqual(plain(bucketing(vectors([0], [0], [10], [10]), coordinateMedian)), [5])
    assert.deepEqual(plain(bucketing(vectors([0], [0], [10], [10], [20]), coordinateMedian, { s: 1 })), [10])
  })

  it('shuffles deterministically, from the contents and the seed only', () => {
    const random = seededRandom(3)
    const inputs = randomVectors(random, 8, 11)
    const reference = canonical(bucketMeans(inputs, { seed: 42 }))
    assert.deepEqual(canonical(bucketMeans(inputs, { seed: 42 })), reference)
    const shuffled = permutation(random, 8).map(i => inputs[i] as Float32Array)
    assert.deepEqual(canonical(bucketMeans(shuffled, { seed: 42 })), reference)
    const groupings = new Set(Array.from({ length: 10 }, (_, seed) => canonical(bucketMeans(inputs, { seed })).join('|')))
    assert.ok(groupings.size > 1, 'the seed should change the grouping')
  })

  it('keeps a one-input bucket as the input itself, and never mutates inputs', () => {
    const inputs = vectors([1, 2], [3, 4], [5, 6])
    const means = bucketMeans(inputs, { s: 5 })
    assert.equal(means.length, 1)
    assert.deepEqual(plain(means[0] as Float32Array), [3, 4])
    assert.ok(bucketMeans(inputs, { s: 1 }).every(m => inputs.includes(m)))
    assert.deepEqual(inputs.map(plain), [[1, 2], [3, 4], [5, 6]])
  })

  it('runs a coordinate-wise rule block by block with the same result as over whole bucket means', () => {
    // 40,000 coordinates: three blocks, the last one partial.
    const inputs = randomVectors(seededRandom(7), 9, 40_000)
    const whole = coordinateMedian(bucketMeans(inputs, { s: 2, seed: 3 }))
    const blockwise = bucketing(inputs, coordinateMedian, { s: 2, seed: 3, coordinateWise: true })
    assert.deepEqual(blockwise, whole)
  })

  it('checks s', () => {
    assert.throws(() => bucketMeans(vectors([1]), { s: 0 }), /s must be an integer >= 1/)
  })
})
