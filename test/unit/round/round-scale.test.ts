import assert from 'node:assert/strict'
import { PeerSample, STAND_IN_FRACTION, START_WAIT_SETTLE_MS, roundQuorum, standInDelayMs, startWaitOver } from '../../../src/round/index.ts'
import { createRng } from '../../../src/model/index.ts'

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

describe('stand-ins for late sampled peers', () => {
  it('a drawn sample admits only its peers until stand-ins are allowed, then that many more, first-come', () => {
    const known = ['a', 'b', 'c', 'd', 'e', 'f']
    const sample = new PeerSample(known, 2, createRng(7))
    const outside = known.filter(p => !sample.includes(p))
    assert.equal(outside.length, 4)
    assert.equal(sample.admit(outside[0] as string), false)
    sample.standIn(2)
    sample.standIn(1) // does not add up, nor shrink
    assert.deepEqual(outside.map(p => sample.admit(p)), [true, true, false, false])
    assert.equal(sample.size, 2) // the quorum still counts the sample's size
  })

  it('stand-ins come at half of a round\'s wait', () => {
    assert.equal(STAND_IN_FRACTION, 0.5)
    assert.equal(standInDelayMs(9000), 4500)
    assert.equal(standInDelayMs(-5), 0)
  })
})
