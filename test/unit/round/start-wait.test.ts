import assert from 'node:assert/strict'
import { START_WAIT_SETTLE_MS, roundQuorum, startWaitOver } from '../../../src/round/index.ts'

describe('round quorum and the wait before the first round', () => {
  it('a round closes on the manifest\'s quorum, or on no more than the fanout sample', () => {
    assert.equal(roundQuorum(3, undefined), 3)
    assert.equal(roundQuorum(3, 0), 3)
    assert.equal(roundQuorum(12, 8), 8)
    assert.equal(roundQuorum(2, 8), 2)
  })

  it('starts at once when every awaited peer has been seen', () => {
    assert.equal(startWaitOver({ seen: 49, wanted: 49, quorum: 8, sinceNewPeerMs: 0, announcing: 0 }), true)
    assert.equal(startWaitOver({ seen: 3, wanted: 3, quorum: 3, sinceNewPeerMs: 0, announcing: 0 }), true)
  })

  it('with a quorum but not every peer, starts only once no new peer has appeared for the settle time', () => {
    const wait = { seen: 21, wanted: 49, quorum: 8, announcing: 0 }
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: START_WAIT_SETTLE_MS - 1 }), false)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: START_WAIT_SETTLE_MS }), true)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: 5000 }, 5000), true)
  })

  it('never starts below a round\'s quorum of peers, however long it has waited', () => {
    assert.equal(startWaitOver({ seen: 7, wanted: 49, quorum: 8, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, announcing: 0 }), false)
    assert.equal(startWaitOver({ seen: 0, wanted: 3, quorum: 3, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, announcing: 0 }), false)
  })

  it('starts as soon as a peer announces a model: the network\'s rounds have begun', () => {
    assert.equal(startWaitOver({ seen: 1, wanted: 49, quorum: 8, sinceNewPeerMs: 0, announcing: 1 }), true)
    assert.equal(startWaitOver({ seen: 1, wanted: 49, quorum: 8, sinceNewPeerMs: 0, announcing: 0 }), false)
  })

  it('a swarm smaller than the quorum needs every peer', () => {
    // 3 nodes, quorum 8: both others, then the settle time is not needed.
    assert.equal(startWaitOver({ seen: 1, wanted: 2, quorum: 8, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, announcing: 0 }), false)
    assert.equal(startWaitOver({ seen: 2, wanted: 2, quorum: 8, sinceNewPeerMs: 0, announcing: 0 }), true)
  })
})
