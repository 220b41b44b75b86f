import assert from 'node:assert/strict'
import { AggregationPreconditionError, geometricMedian } from '../../../src/aggregation/index.ts'
import { plain, vectors } from './fixtures.ts'

const TRIANGLE = vectors([0, 0], [2, 0], [1, Math.sqrt(3)])

function near (actual: Float32Array, expected: number[], tolerance: number): void {
  expected.forEach((x, i) => assert.ok(Math.abs((actual[i] as number) - x) <= tolerance, `coordinate ${i}: ${actual[i]} vs ${x}`))
}

describe('geometricMedian (smoothed Weiszfeld)', () => {
  it('takes one Weiszfeld step from the coordinate-wise median', () => {
    // z0 = (1, 0); distances 1, 1, √3; weights 1, 1, 1/√3:
    // z1 = ((0,0) + (2,0) + (1,√3)/√3) / (2 + 1/√3) = (1, 1/(2 + 1/√3)).
    near(geometricMedian(TRIANGLE, { iterations: 1 }), [1, 1 / (2 + 1 / Math.sqrt(3))], 1e-6)
  })

  it('converges to the Fermat point, the centroid of an equilateral triangle', () => {
    near(geometricMedian(TRIANGLE, { iterations: 200 }), [1, Math.sqrt(3) / 3], 1e-4)
  })

  it('is the mean when every distance is below the smoothing ν', () => {
    near(geometricMedian(TRIANGLE, { iterations: 1, nu: 100 }), [1, Math.sqrt(3) / 3], 1e-6)
  })

  it('is the median on a line, and ignores an outlier', () => {
    assert.deepEqual(plain(geometricMedian(vectors([0], [1], [10]))), [1])
    near(geometricMedian(vectors([0, 0], [0.1, 0], [0, 0.1], [1e30, -1e30], [0.1, 0.1]), { f: 1 }), [0.05, 0.05], 0.06)
  })

  it('checks k >= 2f+1, iterations and ν', () => {
    assert.throws(() => geometricMedian(TRIANGLE, { f: 2 }), /at least 5 inputs/)
    assert.throws(() => geometricMedian(TRIANGLE, { iterations: 0 }), AggregationPreconditionError)
    assert.throws(() => geometricMedian(TRIANGLE, { nu: 0 }), /nu must be a finite number > 0/)
  })
})
