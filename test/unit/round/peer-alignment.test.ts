import assert from 'node:assert/strict'
import { PeerAlignmentMemory, parsePeerAlignmentState, updateCosine } from '../../../src/round/index.ts'

const START = new Float32Array([0, 0, 0, 0])
const model = (...values: number[]): Float32Array => Float32Array.from(values)

describe('PeerAlignmentMemory', () => {
  it('measures a peer by the cosine of its update with the median\'s', () => {
    assert.equal(updateCosine(model(1, 0, 0, 0), model(2, 0, 0, 0), START), 1)
    assert.equal(updateCosine(model(-1, 0, 0, 0), model(2, 0, 0, 0), START), -1)
    assert.ok(Number.isNaN(updateCosine(START, model(1, 0, 0, 0), START)))
  })

  it('keeps every peer during its warm-up, then leaves out the one whose average falls below the threshold', () => {
    const memory = new PeerAlignmentMemory()
    const options = { threshold: -0.1, decay: 0.5, warmupRounds: 3, withOwn: false, ceiling: 1 }
    const own = model(1, 1, 0, 0)
    const peers = [
      { peerId: 'a', weights: model(1, 0.8, 0.1, 0) },
      { peerId: 'b', weights: model(0.9, 1.2, 0, 0.1) },
      { peerId: 'bad', weights: model(-1, -1, 0, 0) }
    ]
    const chosen = [1, 2, 3, 4].map(() => memory.select(options, START, own, peers).map(p => p.peerId))
    assert.deepEqual(chosen, [['a', 'b', 'bad'], ['a', 'b', 'bad'], ['a', 'b'], ['a', 'b']])
  })

  it('with withOwn, counts the higher of the cosines with the median\'s update and the node\'s own', () => {
    // Three peers pull the median to (1, 0, 0, 0); the fourth lines up with the node's own update, not with the median's.
    const own = model(0, 1, 0, 0)
    const peers = [
      { peerId: 'm1', weights: model(1, 0, 0, 0) },
      { peerId: 'm2', weights: model(1, 0, 0, 0) },
      { peerId: 'm3', weights: model(1, 0, 0, 0) },
      { peerId: 'victim', weights: model(-1, 1, 0, 0) }
    ]
    const options = { threshold: -0.1, decay: 0.5, warmupRounds: 1, withOwn: false, ceiling: 1 }
    assert.deepEqual(new PeerAlignmentMemory().select(options, START, own, peers).map(p => p.peerId), ['m1', 'm2', 'm3'])
    const memory = new PeerAlignmentMemory()
    assert.deepEqual(memory.select({ ...options, withOwn: true }, START, own, peers).map(p => p.peerId), ['m1', 'm2', 'm3', 'victim'])
    assert.ok(Math.abs((memory.state().victim?.average ?? 0) - Math.SQRT1_2) < 1e-12)
    // A node whose own model did not move measures by the median alone.
    assert.deepEqual(new PeerAlignmentMemory().select({ ...options, withOwn: true }, START, START, peers).map(p => p.peerId), ['m1', 'm2', 'm3'])
  })

  it('with a ceiling, counts a round at most at it, so good rounds bank less for bad ones', () => {
    // A peer that sends one round along the median and one against it, over and over.
    const own = model(1, 1, 0, 0)
    const other = { peerId: 'a', weights: model(1, 1, 0, 0) }
    const rounds = [model(1, 1, 0, 0), model(-1, -1, 0, 0), model(1, 1, 0, 0), model(-1, -1, 0, 0)]
    const kept = (ceiling: number): boolean[] => {
      const memory = new PeerAlignmentMemory()
      const options = { threshold: -0.1, decay: 0.5, warmupRounds: 1, withOwn: false, ceiling }
      return rounds.map(weights => memory.select(options, START, own, [other, { peerId: 'p', weights }]).length === 2)
    }
    // Without one the average swings 1, 0, 0.5, -0.25; counted at most 0.3: 0.3, -0.35, -0.025, -0.5125.
    assert.deepEqual(kept(1), [true, true, true, false])
    assert.deepEqual(kept(0.3), [true, false, true, false])
  })

  it('lets a peer back once its average recovers', () => {
    const memory = new PeerAlignmentMemory()
    const options = { threshold: -0.1, decay: 0.5, warmupRounds: 1, withOwn: false, ceiling: 1 }
    const own = model(1, 1, 0, 0)
    const other = { peerId: 'a', weights: model(1, 1, 0, 0) }
    const away = { peerId: 'p', weights: model(-1, -1, 0, 0) }
    const back = { peerId: 'p', weights: model(1, 1, 0, 0) }
    assert.deepEqual(memory.select(options, START, own, [other, away]).map(p => p.peerId), ['a'])
    assert.deepEqual(memory.select(options, START, own, [other, back]).map(p => p.peerId), ['a', 'p'])
  })

  it('counts nothing for a round without a direction (a peer that sent its start model back)', () => {
    const memory = new PeerAlignmentMemory()
    const options = { threshold: -0.1, decay: 0.5, warmupRounds: 1, withOwn: false, ceiling: 1 }
    const own = model(1, 1, 0, 0)
    const idle = { peerId: 'idle', weights: START }
    assert.deepEqual(memory.select(options, START, own, [idle]).map(p => p.peerId), ['idle'])
    assert.deepEqual(memory.state(), {})
  })

  it('carries its state over to a new memory (a restart), which leaves the same peer out at once', () => {
    const options = { threshold: -0.1, decay: 0.5, warmupRounds: 2, withOwn: false, ceiling: 1 }
    const own = model(1, 1, 0, 0)
    const peers = [{ peerId: 'a', weights: model(1, 1, 0, 0) }, { peerId: 'bad', weights: model(-1, -1, 0, 0) }]
    const first = new PeerAlignmentMemory()
    first.select(options, START, own, peers)
    const saved = parsePeerAlignmentState(JSON.parse(JSON.stringify(first.state())))
    assert.deepEqual(saved, { a: { average: 1, rounds: 1 }, bad: { average: -1, rounds: 1 } })
    const restarted = new PeerAlignmentMemory(saved)
    assert.deepEqual(restarted.select(options, START, own, peers).map(p => p.peerId), ['a'])
    const fresh = new PeerAlignmentMemory()
    assert.deepEqual(fresh.select(options, START, own, peers).map(p => p.peerId), ['a', 'bad'])
  })

  it('refuses a saved state that is not one, naming what is wrong', () => {
    assert.throws(() => parsePeerAlignmentState([]), /expected an object of peer id/)
    assert.throws(() => parsePeerAlignmentState({ p: { average: 2, rounds: 1 } }), /peer p: expected \{ average: a number from -1 to 1/)
    assert.throws(() => parsePeerAlignmentState({ p: { average: 0, rounds: 0 } }), /peer p/)
    assert.throws(() => parsePeerAlignmentState({ p: 3 }), /peer p/)
  })
})
