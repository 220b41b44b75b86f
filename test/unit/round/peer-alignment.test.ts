import assert from 'node:assert/strict'
import { PeerAlignmentMemory, updateCosine } from '../../../src/round/index.ts'

const START = new Float32Array([0, 0, 0, 0])
const model = (...values: number[]): Float32Array => Float32Array.from(values)

describe('PeerAlignmentMemory (experimental)', () => {
  it('measures a peer by the cosine of its update with the median\'s', () => {
    assert.equal(updateCosine(model(1, 0, 0, 0), model(2, 0, 0, 0), START), 1)
    assert.equal(updateCosine(model(-1, 0, 0, 0), model(2, 0, 0, 0), START), -1)
    assert.ok(Number.isNaN(updateCosine(START, model(1, 0, 0, 0), START)))
  })

  it('keeps every peer during its warm-up, then leaves out the one whose average falls below the threshold', () => {
    const memory = new PeerAlignmentMemory({ threshold: -0.1, decay: 0.5, warmupRounds: 3 })
    const own = model(1, 1, 0, 0)
    const peers = [
      { peerId: 'a', weights: model(1, 0.8, 0.1, 0) },
      { peerId: 'b', weights: model(0.9, 1.2, 0, 0.1) },
      { peerId: 'bad', weights: model(-1, -1, 0, 0) }
    ]
    const chosen = [1, 2, 3, 4].map(() => memory.select(START, own, peers).map(p => p.peerId))
    assert.deepEqual(chosen, [['a', 'b', 'bad'], ['a', 'b', 'bad'], ['a', 'b'], ['a', 'b']])
  })

  it('lets a peer back once its average recovers', () => {
    const memory = new PeerAlignmentMemory({ threshold: -0.1, decay: 0.5, warmupRounds: 1 })
    const own = model(1, 1, 0, 0)
    const other = { peerId: 'a', weights: model(1, 1, 0, 0) }
    const away = { peerId: 'p', weights: model(-1, -1, 0, 0) }
    const back = { peerId: 'p', weights: model(1, 1, 0, 0) }
    assert.deepEqual(memory.select(START, own, [other, away]).map(p => p.peerId), ['a'])
    assert.deepEqual(memory.select(START, own, [other, back]).map(p => p.peerId), ['a', 'p'])
  })
})
