import assert from 'node:assert/strict'
import { createRng, deriveSeed, shuffleInPlace } from '../../../src/model/index.ts'

describe('model/random', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42)
    const b = createRng(42)
    const c = createRng(43)
    const seqA = Array.from({ length: 5 }, () => a.next())
    assert.deepEqual(seqA, Array.from({ length: 5 }, () => b.next()))
    assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => c.next()))
  })

  it('keeps next() in [0, 1) and int(n) in [0, n)', () => {
    const rng = createRng(1)
    for (let i = 0; i < 10_000; i++) {
      const u = rng.next()
      assert.ok(u >= 0 && u < 1)
      const k = rng.int(7)
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7)
    }
  })

  it('draws gamma variates with the right mean (shape) for shapes below and above 1', () => {
    const rng = createRng(3)
    for (const shape of [0.3, 1, 4]) {
      let sum = 0
      const n = 20_000
      for (let i = 0; i < n; i++) sum += rng.gamma(shape)
      assert.ok(Math.abs(sum / n - shape) < 0.05 * Math.max(1, shape), `mean for shape ${shape} was ${sum / n}`)
    }
    assert.throws(() => rng.gamma(0), RangeError)
  })

  it('derives distinct seeds for distinct streams', () => {
    assert.notEqual(deriveSeed(1, 0), deriveSeed(1, 1))
    assert.notEqual(deriveSeed(1, 0), deriveSeed(2, 0))
    assert.equal(deriveSeed(1, 5), deriveSeed(1, 5))
  })

  it('shuffles into a permutation', () => {
    const items = Int32Array.from({ length: 50 }, (_, i) => i)
    shuffleInPlace(items, createRng(9))
    assert.deepEqual(Array.from(items).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i))
    assert.notDeepEqual(Array.from(items), Array.from({ length: 50 }, (_, i) => i))
  })
})
