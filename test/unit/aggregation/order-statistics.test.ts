import assert from 'node:assert/strict'
import { AggregationPreconditionError, coordinateMedian, mean, trimmedMean } from '../../../src/aggregation/index.ts'
import { plain, vectors } from './fixtures.ts'

describe('mean', () => {
  it('averages coordinate-wise', () => {
    assert.deepEqual(plain(mean(vectors([1, 2], [3, 4], [5, 9]))), [3, 5])
  })

  it('returns a copy of a single input', () => {
    const [x] = vectors([1.5, -2]) as [Float32Array]
    const out = mean([x])
    assert.deepEqual(plain(out), [1.5, -2])
    assert.notEqual(out, x)
  })

  it('refuses no inputs and inputs of different lengths', () => {
    assert.throws(() => mean([]), AggregationPreconditionError)
    assert.throws(() => mean(vectors([1, 2], [3])), /input 1 has 1 values, input 0 has 2/)
  })
})

describe('coordinateMedian', () => {
  it('takes the middle value of each coordinate (odd k)', () => {
    assert.deepEqual(plain(coordinateMedian(vectors([1, 10, -1], [2, 20, -2], [100, -30, 0]))), [2, 10, -1])
  })

  it('averages the two middle values for even k, as numpy does', () => {
    assert.deepEqual(plain(coordinateMedian(vectors([1], [2], [3], [10]))), [2.5])
  })

  it('orders infinities like numbers', () => {
    assert.deepEqual(plain(coordinateMedian(vectors([1, -Infinity], [Infinity, 5], [3, 6]))), [3, 5])
  })

  it('ignores a minority of huge values', () => {
    assert.deepEqual(plain(coordinateMedian(vectors([1e30, 0.5], [0.25, -1e30], [0.75, 0.125]))), [0.75, 0.125])
  })

  it('checks k >= 2f+1', () => {
    assert.throws(() => coordinateMedian(vectors([1], [2], [3], [4]), { f: 2 }), /at least 5 inputs \(k >= 2f\+1 with f = 2\), got 4/)
    assert.deepEqual(plain(coordinateMedian(vectors([1], [2], [3], [4], [5]), { f: 2 })), [3])
  })
})

describe('trimmedMean', () => {
  it('drops b values at each end and averages the rest', () => {
    assert.deepEqual(plain(trimmedMean(vectors([1, 7], [2, -100], [3, 8], [4, 9], [100, 10]), { b: 1 })), [3, 8])
  })

  it('is the mean for b = 0 and the median for b = (k-1)/2', () => {
    const inputs = vectors([1], [2], [3], [4], [100])
    assert.deepEqual(plain(trimmedMean(inputs, { b: 0 })), [22])
    assert.deepEqual(plain(trimmedMean(inputs, { b: 2 })), [3])
  })

  it('checks k >= 2b+1 and b', () => {
    assert.throws(() => trimmedMean(vectors([1], [2], [3], [4]), { b: 2 }), AggregationPreconditionError)
    assert.throws(() => trimmedMean(vectors([1], [2], [3]), { b: -1 }), /b must be an integer >= 0/)
  })
})
