import assert from 'node:assert/strict'
import { frameModel, frameTarget } from '../../../src/adversary/index.ts'
import { coordinateMedian } from '../../../src/aggregation/index.ts'
import { PeerAlignmentMemory, updateCosine } from '../../../src/round/index.ts'
import { copies, randomVectors, seededRandom, vectors } from '../aggregation/fixtures.ts'

const random = seededRandom(29)
const REFERENCE = new Float32Array(40)
// Twelve honest updates around +1 on every coordinate, spread as on non-IID data, and a
// thirteenth, an outlier, that shares only a little of that direction.
const OUTLIER = Float32Array.from({ length: 40 }, (_, j) => 0.1 + (j % 2 === 0 ? 1 : -1))
const HONEST = [...randomVectors(random, 12, 40, 1.5, 1), OUTLIER]

describe('framing attack', () => {
  it('targets the honest peer least aligned with the honest median', () => {
    assert.equal(frameTarget(HONEST, REFERENCE), 12)
    const median = coordinateMedian(HONEST)
    const lowest = Math.min(...HONEST.map(h => updateCosine(h, median, REFERENCE)))
    assert.equal(updateCosine(OUTLIER, median, REFERENCE), lowest)
  })

  it('sends, per coordinate, the honest minimum where the target\'s update is positive, the maximum where negative, the target\'s value where zero', () => {
    const honest = vectors([1, 5, 2], [3, -1, 2], [0.5, 2, 2])
    // Reference (1, 1, 2): the least aligned update is the second's (2, -2, 0).
    const reference = Float32Array.of(1, 1, 2)
    assert.equal(frameTarget(honest, reference), 1)
    assert.deepEqual(Array.from(frameModel(honest, reference)), [0.5, 5, 2])
  })

  it('with three copies, pulls the median until a memory at threshold -0.1 leaves the target out, and no other honest peer', () => {
    const frame = frameModel(HONEST, REFERENCE)
    const inputs = [...HONEST, frame, frame, frame]
    const before = updateCosine(OUTLIER, coordinateMedian(HONEST), REFERENCE)
    const after = updateCosine(OUTLIER, coordinateMedian(inputs), REFERENCE)
    assert.ok(before > 0 && after < -0.1, `cosine ${before} before, ${after} after`)
    const memory = new PeerAlignmentMemory()
    const peers = inputs.slice(1).map((weights, i) => ({ peerId: `p${i + 1}`, weights }))
    const kept = memory.select({ threshold: -0.1, decay: 0.9, warmupRounds: 1 }, REFERENCE, inputs[0] as Float32Array, peers).map(p => p.peerId)
    assert.ok(!kept.includes('p12'))
    assert.deepEqual(kept.filter(id => Number(id.slice(1)) < 12), Array.from({ length: 11 }, (_, i) => `p${i + 1}`))
  })

  it('never mutates the honest models', () => {
    const before = copies(HONEST)
    frameModel(HONEST, REFERENCE)
    assert.deepEqual(HONEST, before)
  })
})
