import assert from 'node:assert/strict'
import { OmniscientAttack, frameModel, parseAttack } from '../../../src/adversary/index.ts'
import type { OmniscientAttackInit } from '../../../src/adversary/index.ts'
import { coordinateMedian, createAggregator } from '../../../src/aggregation/index.ts'
import { PeerAlignmentMemory, updateCosine } from '../../../src/round/index.ts'
import { copies, randomVectors, seededRandom, vectors } from '../aggregation/fixtures.ts'

const random = seededRandom(29)
const REFERENCE = new Float32Array(40)
// Twelve honest updates around +1 on every coordinate, spread as on non-IID data, and a
// thirteenth, the victim, that shares only a little of that direction.
const VICTIM = Float32Array.from({ length: 40 }, (_, j) => 0.1 + (j % 2 === 0 ? 1 : -1))
const HONEST = [...randomVectors(random, 12, 40, 1.5, 1), VICTIM]

describe('framing attack', () => {
  it('sends, per coordinate, the honest minimum where the victim\'s update is positive, the maximum where negative, the victim\'s value where zero', () => {
    const honest = vectors([1, 5, 2], [3, -1, 2], [0.5, 2, 2])
    // Reference (1, 1, 2): the victim's update is (2, -2, 0).
    assert.deepEqual(Array.from(frameModel(honest[1] as Float32Array, honest, Float32Array.of(1, 1, 2))), [0.5, 5, 2])
  })

  it('with three copies, pulls the median until a memory at threshold -0.1 leaves the victim out, and no other honest peer', () => {
    const frame = frameModel(VICTIM, HONEST, REFERENCE)
    const inputs = [...HONEST, frame, frame, frame]
    const before = updateCosine(VICTIM, coordinateMedian(HONEST), REFERENCE)
    const after = updateCosine(VICTIM, coordinateMedian(inputs), REFERENCE)
    assert.ok(before > 0 && after < -0.1, `cosine ${before} before, ${after} after`)
    const memory = new PeerAlignmentMemory()
    const peers = inputs.slice(1).map((weights, i) => ({ peerId: `p${i + 1}`, weights }))
    const kept = memory.select({ threshold: -0.1, decay: 0.9, warmupRounds: 1, withOwn: false, ceiling: 1 }, REFERENCE, inputs[0] as Float32Array, peers).map(p => p.peerId)
    assert.ok(!kept.includes('p12'))
    assert.deepEqual(kept.filter(id => Number(id.slice(1)) < 12), Array.from({ length: 11 }, (_, i) => `p${i + 1}`))
  })

  it('an attacker frames the honest peer with the smallest id, whatever the order the models came in', () => {
    const attack = new OmniscientAttack({ attack: parseAttack('frame') as OmniscientAttackInit['attack'], byzantine: 3 }, { aggregator: createAggregator({ rule: 'median', f: 3 }) })
    const models = HONEST.map((weights, i) => ({ peerId: `p${String(i).padStart(2, '0')}`, weights }))
    const shuffled = [...models.slice(7), ...models.slice(0, 7)]
    assert.deepEqual(attack.craft(shuffled, REFERENCE), frameModel(HONEST[0] as Float32Array, HONEST, REFERENCE))
  })

  it('never mutates the honest models', () => {
    const before = copies(HONEST)
    frameModel(VICTIM, HONEST, REFERENCE)
    assert.deepEqual(HONEST, before)
  })
})
