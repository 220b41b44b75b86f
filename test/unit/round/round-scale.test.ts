import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { InProcessNetwork, PeerSample, RoundLoop, STAND_IN_FRACTION, START_WAIT_GAP_FACTOR, START_WAIT_SETTLE_MS, roundQuorum, silentLogger, standInDelayMs, startWaitOver } from '../../../src/round/index.ts'
import type { RoundSummary } from '../../../src/round/index.ts'
import { createRng, deriveSeed } from '../../../src/model/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../../src/protocol/index.ts'
import type { NetworkManifest } from '../../../src/protocol/index.ts'

async function keyOf (seed: number): Promise<{ privateKey: PrivateKey, peerId: string }> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() }
}

describe('round quorum and the wait before the first round', () => {
  it('a round closes on the manifest\'s quorum, or on no more than the fanout sample', () => {
    assert.equal(roundQuorum(3, undefined), 3)
    assert.equal(roundQuorum(3, 0), 3)
    assert.equal(roundQuorum(12, 8), 8)
    assert.equal(roundQuorum(2, 8), 2)
  })

  it('starts at once when every awaited peer has been seen', () => {
    assert.equal(startWaitOver({ seen: 49, wanted: 49, quorum: 8, sinceNewPeerMs: 0, longestGapMs: 0, announcing: 0 }), true)
    assert.equal(startWaitOver({ seen: 3, wanted: 3, quorum: 3, sinceNewPeerMs: 0, longestGapMs: 0, announcing: 0 }), true)
  })

  it('with a quorum but not every peer, starts only once no new peer has appeared for the settle time', () => {
    const wait = { seen: 21, wanted: 49, quorum: 8, longestGapMs: 1000, announcing: 0 }
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: START_WAIT_SETTLE_MS - 1 }), false)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: START_WAIT_SETTLE_MS }), true)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: 5000 }, 5000), true)
  })

  it('waits out several times the longest pause between new peers so far: peers that come slowly are still coming', () => {
    const wait = { seen: 21, wanted: 49, quorum: 8, longestGapMs: 50_000, announcing: 0 }
    assert.equal(START_WAIT_GAP_FACTOR, 3)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: START_WAIT_SETTLE_MS }), false)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: 149_999 }), false)
    assert.equal(startWaitOver({ ...wait, sinceNewPeerMs: 150_000 }), true)
  })

  it('never starts below a round\'s quorum of peers, however long it has waited', () => {
    assert.equal(startWaitOver({ seen: 7, wanted: 49, quorum: 8, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, longestGapMs: 0, announcing: 0 }), false)
    assert.equal(startWaitOver({ seen: 0, wanted: 3, quorum: 3, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, longestGapMs: 0, announcing: 0 }), false)
  })

  it('starts as soon as a peer announces a model: the network\'s rounds have begun', () => {
    assert.equal(startWaitOver({ seen: 1, wanted: 49, quorum: 8, sinceNewPeerMs: 0, longestGapMs: 0, announcing: 1 }), true)
    assert.equal(startWaitOver({ seen: 1, wanted: 49, quorum: 8, sinceNewPeerMs: 0, longestGapMs: 0, announcing: 0 }), false)
  })

  it('a swarm smaller than the quorum needs every peer', () => {
    // 3 nodes, quorum 8: both others, then the settle time is not needed.
    assert.equal(startWaitOver({ seen: 1, wanted: 2, quorum: 8, sinceNewPeerMs: 10 * START_WAIT_SETTLE_MS, longestGapMs: 0, announcing: 0 }), false)
    assert.equal(startWaitOver({ seen: 2, wanted: 2, quorum: 8, sinceNewPeerMs: 0, longestGapMs: 0, announcing: 0 }), true)
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

describe('a round loop under a fanout with a sampled peer gone silent', () => {
  it('aggregates a stand-in\'s model instead of running to the deadline without one', async () => {
    // Fanout 1, quorum 1, the mean rule (which takes a round of the node's own model alone, so
    // only a stand-in makes \`used\` 1). Peers B and C announce round 0; C then stops. The node is
    // picked (by its key) so that its round-1 sample, drawn from {B, C} as the loop draws it, is C.
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 1000, window: 2, fanout: 1 } }
    const b = await keyOf(2)
    const c = await keyOf(3)
    let node = await keyOf(10)
    const samplesC = (peerId: string): boolean => new PeerSample([b.peerId, c.peerId], 1, createRng(deriveSeed(manifest.training.initSeed, 2, ...Buffer.from(peerId).subarray(-8)))).includes(c.peerId)
    for (let seed = 11; !samplesC(node.peerId); seed++) node = await keyOf(seed)
    const network = new InProcessNetwork()
    const summaries: RoundSummary[][] = [[], [], []]
    const loops = [[node, 3], [b, 3], [c, 2]].map(([k, rounds], i) => {
      const { privateKey, peerId } = k as Awaited<ReturnType<typeof keyOf>>
      return new RoundLoop({
        manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: 4, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(4), rounds: rounds as number
      }, {
        network: network.join(peerId),
        trainer: { train: async weights => ({ weights: weights.map(w => w + 1), loss: 0, sampleCount: 1 }), evaluateHoldout: async () => ({ accuracy: 1, loss: 0 }) },
        aggregator: createAggregator(manifest.aggregation),
        log: silentLogger,
        onRound: s => { summaries[i]?.push(s) }
      })
    })
    await Promise.all(loops.map(async loop => loop.run(new AbortController().signal)))
    const [own] = summaries
    assert.equal(own?.length, 3)
    assert.equal(own?.[2]?.used, 1, 'round 2 aggregated B standing in for the silent C')
    assert.deepEqual(own?.[2]?.trace.peerInputs.filter(p => p.used).map(p => p.announcement.peerId), [b.peerId])
  })
})
