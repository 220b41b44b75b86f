import assert from 'node:assert/strict'
import {
  AggregationPreconditionError, centeredClipping, clippedGossip, clippedGossipRadius, csPlus, csPlusThreshold
} from '../../../src/aggregation/index.ts'
import { plain, vectors } from './fixtures.ts'

function near (actual: Float32Array, expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length)
  expected.forEach((x, i) => assert.ok(Math.abs((actual[i] as number) - x) <= tolerance, `coordinate ${i}: ${actual[i]} vs ${x}`))
}

describe('centeredClipping', () => {
  const inputs = vectors([0], [1], [2], [100])

  it('moves the centre by the mean of the clipped differences', () => {
    // From 0 with τ = 1: differences 0, 1, 2, 100 clip to 0, 1, 1, 1; v = 0 + 3/4.
    near(centeredClipping(inputs, { center: Float32Array.of(0), tau: 1, iterations: 1 }), [0.75])
    // Again from 0.75: -0.75, 0.25, 1.25, 99.25 clip to -0.75, 0.25, 1, 1; v = 0.75 + 1.5/4.
    near(centeredClipping(inputs, { center: Float32Array.of(0), tau: 1, iterations: 2 }), [1.125])
  })

  it('starts from the coordinate-wise median by default and moves at most L·τ', () => {
    // Median 1.5; with τ = 10, 3 iterations the outlier pulls by at most 10/4 per step.
    const out = centeredClipping(inputs)
    assert.ok(Math.abs((out[0] as number) - 1.5) <= 30)
    near(centeredClipping(inputs, { tau: 0.5, iterations: 1 }), [1.5 + (-0.5 - 0.5 + 0.5 + 0.5) / 4])
  })

  it('does not mutate the centre it is given', () => {
    const center = Float32Array.of(0)
    centeredClipping(inputs, { center, tau: 1 })
    assert.deepEqual(plain(center), [0])
  })

  it('checks k >= 2f+1, τ, iterations and the centre length', () => {
    assert.throws(() => centeredClipping(inputs, { f: 2 }), /at least 5 inputs/)
    assert.throws(() => centeredClipping(inputs, { tau: 0 }), AggregationPreconditionError)
    assert.throws(() => centeredClipping(inputs, { iterations: 0 }), AggregationPreconditionError)
    assert.throws(() => centeredClipping(inputs, { center: Float32Array.of(0, 0) }), /center has 2 values/)
  })
})

// Own model at the origin; peers at distances 5, 1, 100 and 2.
const OWN = Float32Array.of(0, 0)
const PEERS = vectors([3, 4], [0, 1], [100, 0], [0, 2])

describe('clippedGossip', () => {
  it('computes the adaptive radius of He et al. (cs_he) for uniform weights', () => {
    // k - f - 1 = 3 smallest distances: 0, 1, 2: τ = sqrt((0 + 1 + 4) / 1).
    assert.equal(clippedGossipRadius([0, 5, 1, 100, 2], 1), Math.sqrt(5))
    assert.equal(clippedGossipRadius([0, 5, 1, 100, 2], 0), Infinity)
    assert.equal(clippedGossipRadius([0, 5], 1), 0)
  })

  it('adds the clipped differences with weights 1/k', () => {
    const tau = Math.sqrt(5)
    const sum = [0.6 * tau, 0.8 * tau + 1 + 2] // (3,4)·τ/5 + (0,1) + (100,0)·τ/100 + (0,2)
    sum[0] = (sum[0] as number) + tau
    near(clippedGossip(OWN, PEERS, { f: 1 }), sum.map(x => x / 5))
  })

  it('uses a fixed radius when given one', () => {
    // τ = 5: factors 1, 1, 0.05, 1: ((3,4) + (0,1) + (5,0) + (0,2)) / 5.
    near(clippedGossip(OWN, PEERS, { f: 1, tau: 5 }), [8 / 5, 7 / 5])
  })

  it('is plain gossip averaging with f = 0', () => {
    near(clippedGossip(OWN, PEERS, { f: 0 }), [103 / 5, 7 / 5], 1e-5)
  })

  it('checks k >= f+2 and τ', () => {
    assert.throws(() => clippedGossip(OWN, PEERS.slice(0, 1), { f: 1 }), /at least 3 inputs/)
    assert.throws(() => clippedGossip(OWN, PEERS, { f: 1, tau: -1 }), AggregationPreconditionError)
  })
})

describe('csPlus', () => {
  it('clips at the distance of rank k - 2f, the own 0 included', () => {
    assert.equal(csPlusThreshold([0, 5, 1, 100, 2], 1), 2)
    assert.equal(csPlusThreshold([0, 5, 1, 100, 2], 2), 0)
    assert.equal(csPlusThreshold([0, 5, 1, 100, 2], 0), Infinity)
  })

  it('adds the clipped differences with weights 1/k', () => {
    // τ = 2: (3,4)·0.4 + (0,1) + (100,0)·0.02 + (0,2) = (3.2, 4.6); divided by k = 5.
    near(csPlus(OWN, PEERS, { f: 1 }), [0.64, 0.92])
  })

  it('clips at the nearest peer\'s distance at the minimum k = 2f+2', () => {
    // τ = 1: (3,4)·0.2 + (0,1) + (100,0)·0.01 = (1.6, 1.8); divided by k = 4.
    near(csPlus(OWN, PEERS.slice(0, 3), { f: 1 }), [0.4, 0.45])
  })

  it('checks k >= 2f+2', () => {
    assert.throws(() => csPlus(OWN, PEERS, { f: 2 }), /at least 6 inputs/)
  })
})
