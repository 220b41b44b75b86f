import assert from 'node:assert/strict'
import { MAX_ANNOUNCERS_PER_ROUND, RoundInbox } from '../../../src/round/index.ts'
import type { UpdateAnnouncement } from '../../../src/protocol/index.ts'

const NETWORK = 'ab'.repeat(16)

function announcement (peerId: string, round: number, modelHash = 'cd'.repeat(32)): UpdateAnnouncement {
  // The inbox trusts the codec for signatures; these are the fields it looks at.
  return { version: 1, networkId: NETWORK, peerId, round, modelHash, byteLength: 40, encoding: 'f32le', sampleCount: 1, loss: 0, datasetFingerprint: '', ledgerHead: '', signature: '' }
}

function inbox (): RoundInbox {
  return new RoundInbox({ networkId: NETWORK, selfId: 'self', payloadBytes: 40, window: 2 })
}

describe('round inbox', () => {
  it('accepts one model per peer and round, ignores the same one again', () => {
    const box = inbox()
    assert.deepEqual(box.offer(announcement('a', 0)), { verdict: 'accept' })
    assert.deepEqual(box.offer(announcement('a', 0)), { verdict: 'ignore', code: 'duplicate' })
    assert.deepEqual(box.offer(announcement('b', 0)), { verdict: 'accept' })
    assert.deepEqual(box.announcements(0).map(a => a.peerId), ['a', 'b'])
  })

  it('rejects another network, another encoding, a wrong size, and ignores its own echo', () => {
    const box = inbox()
    assert.equal(box.offer({ ...announcement('a', 0), networkId: 'ef'.repeat(16) }).code, 'wrong-network')
    assert.equal(box.offer({ ...announcement('a', 0), encoding: 'f16le' }).code, 'wrong-encoding')
    assert.equal(box.offer({ ...announcement('a', 0), byteLength: 44 }).code, 'wrong-size')
    assert.equal(box.offer(announcement('self', 0)).verdict, 'ignore')
  })

  it('rejects, on a private network, an announcement without privacy or with another delta; elsewhere, one with privacy', () => {
    const privacy = { epsilon: 1, delta: 1e-5, noiseMultiplier: 1.1 }
    const privateBox = new RoundInbox({ networkId: NETWORK, selfId: 'self', payloadBytes: 40, window: 2, privacyDelta: 1e-5 })
    assert.equal(privateBox.offer(announcement('a', 0)).code, 'wrong-privacy')
    assert.equal(privateBox.offer({ ...announcement('a', 0), privacy: { ...privacy, delta: 1e-6 } }).code, 'wrong-privacy')
    assert.equal(privateBox.offer({ ...announcement('a', 0), privacy }).verdict, 'accept')
    assert.equal(inbox().offer({ ...announcement('a', 0), privacy }).code, 'wrong-privacy')
  })

  it('keeps rounds within the window and ignores the rest', () => {
    const box = inbox()
    box.setRound(5)
    assert.equal(box.offer(announcement('a', 2)).code, 'stale-round')
    assert.equal(box.offer(announcement('a', 3)).verdict, 'accept')
    assert.equal(box.offer(announcement('a', 7)).verdict, 'accept')
    assert.equal(box.offer(announcement('a', 8)).code, 'future-round')
    box.setRound(6)
    assert.deepEqual(box.announcements(3), [])
  })

  it('takes a new window with the round (a manifest version may change it)', () => {
    const box = inbox()
    box.setRound(5, 4)
    assert.equal(box.offer(announcement('a', 1)).verdict, 'accept')
    assert.equal(box.offer(announcement('a', 9)).verdict, 'accept')
    assert.equal(box.offer(announcement('a', 10)).code, 'future-round')
    box.setRound(6)
    assert.equal(box.offer(announcement('b', 10)).verdict, 'accept', 'the window stays until changed again')
  })

  it('keeps both messages of an equivocation as evidence and excludes the peer for that round', () => {
    const box = inbox()
    box.offer(announcement('a', 1, '01'.repeat(32)))
    const verdict = box.offer(announcement('a', 1, '02'.repeat(32)))
    // Ignored by gossip (the relay is not at fault); the signer is charged by the network room.
    assert.deepEqual(verdict, { verdict: 'ignore', code: 'equivocation' })
    assert.equal(box.evidence.length, 1)
    assert.equal(box.evidence[0]?.first.modelHash, '01'.repeat(32))
    assert.equal(box.evidence[0]?.second.modelHash, '02'.repeat(32))
    assert.deepEqual(box.announcements(1), [])
    assert.equal(box.equivocators(1), 1)
    assert.equal(box.offer(announcement('a', 2)).verdict, 'accept')
  })

  it('finds the round a quorum of peers has moved on to, once it lies beyond the window', () => {
    const box = inbox()
    box.offer(announcement('a', 2))
    box.offer(announcement('b', 2))
    assert.equal(box.catchUpTarget(2), undefined)
    box.offer(announcement('a', 40))
    assert.equal(box.catchUpTarget(2), undefined, 'one peer ahead is not the network')
    box.offer(announcement('b', 41))
    const target = box.catchUpTarget(2)
    assert.equal(target?.round, 40)
    assert.deepEqual(target?.announcements.map(a => a.peerId).sort(), ['a', 'b'])
  })

  it('counts peers per latest round as they move on: the catch-up target follows the peers\' latest rounds, not their first', () => {
    // Three peers climb at different paces; the target is the round of the second-highest latest
    // announcement (quorum 2), worked out by hand at each step.
    const box = inbox()
    const steps: Array<[string, number, number | undefined]> = [
      ['a', 1, undefined], ['b', 1, undefined], ['c', 1, undefined],
      ['a', 5, undefined], // a alone ahead
      ['b', 6, 5], // a at 5, b at 6: two peers at 5 or beyond
      ['a', 9, 6], // a at 9, b at 6
      ['c', 2, 6], // c's older round changes nothing
      ['c', 12, 9], // c at 12, a at 9
      ['b', 3, 9] // an older round than b's latest (6) does not move b back
    ]
    for (const [peer, round, expected] of steps) {
      box.offer(announcement(peer, round, round.toString(16).padStart(64, '0')))
      assert.equal(box.catchUpTarget(2)?.round, expected, `after ${peer} at ${round}`)
    }
    assert.deepEqual(box.catchUpTarget(2)?.announcements.map(a => `${a.peerId}${a.round}`), ['c12', 'a9'])
    assert.deepEqual(box.catchUpTarget(3)?.announcements.map(a => `${a.peerId}${a.round}`), ['c12', 'a9', 'b6'])
  })

  it('accepts at most MAX_ANNOUNCERS_PER_ROUND announcers per round and ignores the rest', () => {
    const box = inbox()
    for (let i = 0; i < MAX_ANNOUNCERS_PER_ROUND; i++) assert.equal(box.offer(announcement(`p${i}`, 0)).verdict, 'accept')
    assert.deepEqual(box.offer(announcement('one-too-many', 0)), { verdict: 'ignore', code: 'too-many-announcers' })
    assert.equal(box.offer(announcement('p0', 0)).code, 'duplicate', 'a known announcer is still checked')
    assert.equal(box.offer(announcement('one-too-many', 1)).verdict, 'accept', 'another round has room')
  })

  it('keeps one piece of evidence per equivocating peer and round however often it equivocates', () => {
    const box = inbox()
    box.offer(announcement('a', 1, '01'.repeat(32)))
    for (let i = 2; i < 50; i++) assert.equal(box.offer(announcement('a', 1, i.toString(16).padStart(2, '0').repeat(32))).code, 'equivocation')
    assert.equal(box.evidence.length, 1)
  })
})
