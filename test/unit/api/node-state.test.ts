import assert from 'node:assert/strict'
import { MAX_ROUND_HISTORY } from '../../../src/api-endpoint/index.ts'
import { MAX_EVENT_LISTENERS, NodeState } from '../../../src/api/index.ts'
import type { NodeEvent } from '../../../src/api/index.ts'
import type { RoundFacts } from '../../../src/api/index.ts'

const summary = (round: number): RoundFacts => ({
  round, peers: 2, used: 2, refused: 1, keptOwn: false, loss: 0.5, accuracy: 0.75,
  durationMs: 1000, aggregationMs: 100, bytesFetched: 64
})

const INFO = { peerId: 'p', networkId: 'n', version: '0.1.0', backend: 'cpu', rule: 'median', parameters: 1, addresses: ['/ip4/127.0.0.1/tcp/1'] }

describe('NodeState', () => {
  it('is ready only once listening, with a peer and past a round; it says why not', () => {
    const state = new NodeState()
    assert.deepEqual(state.readiness(), {
      ready: false,
      reasons: ['the API is not listening yet', 'libp2p is not listening yet', 'no peer connected', 'no round finished yet']
    })
    state.setListening(true)
    state.setInfo(INFO)
    let peers = 0
    state.setPeerCount(() => peers)
    peers = 1
    assert.deepEqual(state.readiness().reasons, ['no round finished yet'])
    state.recordRound(summary(0), { trainingMs: 300, evaluationMs: 50 })
    assert.deepEqual(state.readiness(), { ready: true, reasons: [] })
    peers = 0
    assert.deepEqual(state.readiness(), { ready: false, reasons: ['no peer connected'] })
  })

  it('records rounds without the model, with the wait time as the rest of the round', () => {
    const state = new NodeState()
    const record = state.recordRound(summary(3), { trainingMs: 300, evaluationMs: 50 }, 1234)
    assert.deepEqual(record, {
      round: 3, peers: 2, used: 2, refused: 1, keptOwn: false, loss: 0.5, accuracy: 0.75, durationMs: 1000,
      trainingMs: 300, aggregationMs: 100, evaluationMs: 50, waitMs: 550, bytesFetched: 64, finishedAt: 1234
    })
    assert.equal(Object.isFrozen(record), true)
  })

  it('answers rounds since R, oldest first, bounded', () => {
    const state = new NodeState()
    for (let r = 0; r < MAX_ROUND_HISTORY + 10; r++) state.recordRound(summary(r), { trainingMs: 0, evaluationMs: 0 })
    assert.deepEqual(state.roundsSince(0, 3).map(r => r.round), [10, 11, 12])
    assert.deepEqual(state.roundsSince(MAX_ROUND_HISTORY + 8, 10).map(r => r.round), [MAX_ROUND_HISTORY + 8, MAX_ROUND_HISTORY + 9])
    assert.deepEqual(state.roundsSince(MAX_ROUND_HISTORY + 10, 10), [])
    assert.equal(state.latest?.round, MAX_ROUND_HISTORY + 9)
  })

  it('streams rounds and peer events to a bounded set of listeners', () => {
    const state = new NodeState()
    const seen: NodeEvent[] = []
    const stop = state.subscribe(e => seen.push(e))
    assert.notEqual(stop, undefined)
    state.recordRound(summary(1), { trainingMs: 0, evaluationMs: 0 })
    state.recordPeerEvent('q', 'connected', 5)
    stop?.()
    state.recordPeerEvent('q', 'disconnected', 6)
    assert.deepEqual(seen.map(e => e.type), ['round', 'peer'])
    assert.deepEqual(seen[1]?.data, { peerId: 'q', kind: 'connected', at: 5 })
    const stops = Array.from({ length: MAX_EVENT_LISTENERS }, () => state.subscribe(() => {}))
    assert.equal(stops.every(s => s !== undefined), true)
    assert.equal(state.subscribe(() => {}), undefined)
  })
})
