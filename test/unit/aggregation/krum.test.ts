import assert from 'node:assert/strict'
import { AggregationPreconditionError, krum, krumScores, multiKrum } from '../../../src/aggregation/index.ts'
import { plain, vectors } from './fixtures.ts'

// Points 0, 1, 2, 3, 100 on a line; f = 1, so each score sums the k - f - 2 = 2 nearest
// squared distances: 0 -> 1+4, 1 -> 1+1, 2 -> 1+1, 3 -> 1+4, 100 -> 97²+98² = 9409+9604.
const LINE = vectors([0], [1], [2], [3], [100])

describe('krum', () => {
  it('scores each input by its k-f-2 nearest squared distances', () => {
    assert.deepEqual(Array.from(krumScores(LINE, 1)), [5, 2, 2, 5, 19013])
  })

  it('returns a copy of the lowest-scoring input, the lower index on a tie', () => {
    const out = krum(LINE, { f: 1 })
    assert.deepEqual(plain(out), [1])
    assert.notEqual(out, LINE[1])
  })

  it('picks by whole-vector distance, not per coordinate', () => {
    const inputs = vectors([0, 0], [1, 0], [0, 1], [1, 1], [50, -50])
    // squared distances: the four unit-square corners are 1, 1, 2 apart; the outlier far away.
    assert.deepEqual(plain(krum(inputs, { f: 1 })), [0, 0])
  })

  it('checks k >= 2f+3', () => {
    assert.throws(() => krum(LINE.slice(0, 4), { f: 1 }), /at least 5 inputs/)
    assert.throws(() => krum(LINE, { f: -1 }), AggregationPreconditionError)
  })
})

describe('multiKrum', () => {
  it('averages the m lowest-scoring inputs', () => {
    assert.deepEqual(plain(multiKrum(LINE, { f: 1, m: 3 })), [1]) // inputs 1, 2, 0
    assert.deepEqual(plain(multiKrum(LINE, { f: 1 })), [1.5]) // m = k - f = 4: inputs 1, 2, 0, 3
  })

  it('is Krum for m = 1', () => {
    assert.deepEqual(plain(multiKrum(LINE, { f: 1, m: 1 })), [1])
  })

  it('checks m and k >= max(2f+3, m+f)', () => {
    assert.throws(() => multiKrum(LINE, { f: 1, m: 5 }), /at least 6 inputs/)
    assert.throws(() => multiKrum(LINE, { f: 1, m: 0 }), /m must be an integer >= 1/)
  })
})
