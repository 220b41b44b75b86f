import assert from 'node:assert/strict'
import { coordinateMedian, coordinateMedianWithRepeatedInput, createAggregator, ruleAfterMixingWithRepeatedInput } from '../../../src/aggregation/index.ts'
import { pairwiseSquaredDistances, streamPass } from '../../../src/aggregation/streaming-pass.ts'
import { randomVectors, seededRandom } from './fixtures.ts'

/** The bits of a vector: equal bits, not merely equal numbers (-0 and +0, NaN payloads). */
function bits (v: Float32Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length)
}

/** A candidate around the fixed inputs: near them (inside their spread), at their edge, or far out. */
function candidates (random: () => number, fixed: readonly Float32Array[], count: number): Float32Array[] {
  const d = (fixed[0] as Float32Array).length
  const centre = new Float32Array(d).map((_, j) => fixed.reduce((s, v) => s + (v[j] as number), 0) / fixed.length)
  const out: Float32Array[] = [Float32Array.from(fixed[0] as Float32Array), centre]
  for (let c = out.length; c < count; c++) {
    const scale = [0.01, 0.3, 1, 3, 100][c % 5] as number
    out.push(centre.map(m => m + scale * (2 * random() - 1)))
  }
  return out
}

describe('a rule with one repeated input (the attacks\' searches)', () => {
  // d = 40,003: several blocks of the kernels, the last one partial (their float64 sums follow the blocks).
  for (const d of [7, 5_000, 40_003]) {
    for (const [rule, f, h, copies] of [
      ['median', 3, 13, 3], ['median', 5, 11, 5], ['median', 1, 6, 1], ['median', 2, 4, 2], ['trimmed-mean', 3, 13, 3], ['trimmed-mean', 2, 6, 2]
    ] as const) {
      it(`${rule}+nnm, f = ${f}, ${h} fixed inputs and ${copies} copies, d = ${d}: the plain aggregate, bit for bit`, () => {
        const random = seededRandom(d * 31 + h * 7 + copies)
        const fixed = randomVectors(random, h, d, 1, 0.5)
        const [own, ...peers] = fixed as [Float32Array, ...Float32Array[]]
        const aggregator = createAggregator({ rule, f, nnm: true })
        const view = aggregator.withRepeatedInput(own, peers, copies)
        for (const x of candidates(random, fixed, 12)) {
          const plain = aggregator.aggregate(own, [...peers, ...Array.from({ length: copies }, () => x)])
          assert.deepEqual(bits(view(x)), bits(plain))
        }
      })
    }
  }

  it('sums the fixed inputs\' distances, and x\'s, in the blocks of the k-input pass: the same float64 bits', () => {
    const random = seededRandom(17)
    const all = randomVectors(random, 16, 90_001)
    const x = all[13] as Float32Array
    for (let c = 14; c < 16; c++) all[c] = x
    const plain = pairwiseSquaredDistances(all)
    const fixed = all.slice(0, 13)
    const together = pairwiseSquaredDistances(fixed, 16)
    const toX = streamPass([...fixed, x], { measure: 13, centre: 13, blockRows: 16 })
    for (let i = 0; i < 13; i++) {
      for (let j = 0; j < 13; j++) assert.equal(together[i * 13 + j], plain[i * 16 + j])
      assert.equal(toX[i], plain[i * 16 + 13])
    }
    // Not a vacuous check: in its own blocks the 13-input pass sums differently.
    const alone = pairwiseSquaredDistances(fixed)
    assert.ok(alone.some((v, at) => v !== together[at]))
  })

  it('a rule without a faster way gives the plain aggregate too', () => {
    const random = seededRandom(3)
    const fixed = randomVectors(random, 9, 300)
    const [own, ...peers] = fixed as [Float32Array, ...Float32Array[]]
    for (const spec of [{ rule: 'median', f: 3 }, { rule: 'krum', f: 2 }, { rule: 'cs-plus', f: 2 }, { rule: 'median', f: 2, bucketing: 2, seed: 4 }]) {
      const aggregator = createAggregator(spec)
      const view = aggregator.withRepeatedInput(own, peers, 2)
      for (const x of candidates(random, fixed, 5)) assert.deepEqual(bits(view(x)), bits(aggregator.aggregate(own, [...peers, x, x])))
    }
  })

  it('keeps every input untouched', () => {
    const fixed = randomVectors(seededRandom(8), 7, 50)
    const before = fixed.map(v => v.slice())
    const x = randomVectors(seededRandom(9), 1, 50)[0] as Float32Array
    const xBefore = x.slice()
    const view = ruleAfterMixingWithRepeatedInput(fixed, 3, coordinateMedian, 3)
    view(x)
    view(x)
    assert.deepEqual(fixed, before)
    assert.deepEqual(x, xBefore)
  })

  it('checks the inputs as the rule would', () => {
    const [own, ...peers] = randomVectors(seededRandom(2), 4, 10) as [Float32Array, ...Float32Array[]]
    const aggregator = createAggregator({ rule: 'median', f: 3, nnm: true })
    assert.throws(() => aggregator.withRepeatedInput(own, peers, 2), /needs at least 7 inputs/)
    assert.throws(() => aggregator.withRepeatedInput(own, peers, 0), /copies must be an integer >= 1/)
    assert.throws(() => aggregator.withRepeatedInput(own, peers, 3)(new Float32Array(9)), /input 1 has 9 values/)
  })
})

describe('the coordinate-wise median with one repeated input (the searches\' alignment floor)', () => {
  for (const d of [7, 5_003]) {
    for (const [h, copies] of [[13, 3], [11, 5], [6, 1], [4, 2], [1, 1], [2, 5]] as const) {
      it(`${h} fixed inputs and ${copies} copies, d = ${d}: the plain median, value for value`, () => {
        const random = seededRandom(d * 17 + h * 5 + copies)
        const fixed = randomVectors(random, h, d, 1, 0.5)
        const median = coordinateMedianWithRepeatedInput(fixed, copies)
        const infinite = Float32Array.from(fixed[0] as Float32Array).map((v, j) => (j % 3 === 0 ? Infinity : j % 3 === 1 ? -Infinity : v))
        for (const x of [...candidates(random, fixed, 12), infinite]) {
          const plain = coordinateMedian([...fixed, ...Array.from({ length: copies }, () => x)])
          const fast = median(x)
          for (let j = 0; j < d; j++) assert.ok(fast[j] === plain[j], `coordinate ${j}: ${fast[j]} against ${plain[j]}`)
        }
      })
    }
  }

  it('sends an x holding a NaN to the plain median, and refuses no copies or another length', () => {
    const fixed = [Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(5, 6)]
    const x = Float32Array.of(Number.NaN, 0)
    assert.deepEqual(bits(coordinateMedianWithRepeatedInput(fixed, 2)(x)), bits(coordinateMedian([...fixed, x, x])))
    assert.throws(() => coordinateMedianWithRepeatedInput(fixed, 0), /copies/)
    assert.throws(() => coordinateMedianWithRepeatedInput(fixed, 1)(Float32Array.of(1)), /input 1 has 1 values/)
  })
})
