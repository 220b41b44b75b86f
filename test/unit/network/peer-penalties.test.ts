import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { InProcessNetwork } from '../../../src/round/index.ts'
import { BanEnforcement, GRAYLIST_BAN_MS, INVALID_PAYLOAD_WEIGHT, MAX_BAN_MS, OFFENCE_WEIGHTS, PeerBans, PeerPenalties, SCORE_THRESHOLDS } from '../../../src/network/index.ts'
import { silentLogger } from '../../../src/round/index.ts'
import { RoundLoop } from '../../../src/round/index.ts'
import type { RoundSummary } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, PAYLOAD_ENCODING, encodeModelPayload, networkId, payloadHash, signAnnouncement } from '../../../src/protocol/index.ts'
import type { NetworkManifest } from '../../../src/protocol/index.ts'

describe('peer penalties: one score, one ban path', () => {
  it('three invalid payloads take a peer below the graylist threshold, and the penalty decays', () => {
    const penalties = new PeerPenalties()
    for (let i = 0; i < 3; i++) penalties.add('peer', 'invalid-payload', 1_000_000)
    assert.equal(penalties.score('peer', 1_000_000), 3 * INVALID_PAYLOAD_WEIGHT)
    assert.ok(penalties.score('peer', 1_000_000) < SCORE_THRESHOLDS.graylistThreshold)
    // 0.99 per second: about half after 69 seconds.
    assert.ok(Math.abs(penalties.score('peer', 1_069_000) - 1.5 * INVALID_PAYLOAD_WEIGHT) < 1)
    assert.equal(penalties.score('someone else', 1_000_000), 0)
  })

  it('tells its listener of every offence, after counting it', () => {
    const told: Array<[string, number]> = []
    const penalties: PeerPenalties = new PeerPenalties(peer => { told.push([peer, penalties.score(peer, 0)]) })
    penalties.add('a', 'stream-flood', 0)
    penalties.add('a', 'invalid-payload', 0)
    assert.deepEqual(told, [['a', OFFENCE_WEIGHTS['stream-flood']], ['a', OFFENCE_WEIGHTS['stream-flood'] + OFFENCE_WEIGHTS['invalid-payload']]])
  })

  it('adds every kind of offence into the same score: 2 equivocations, or 9 slow or flooding model streams, cross the threshold', () => {
    const penalties = new PeerPenalties()
    penalties.add('a', 'equivocation', 0)
    assert.ok(penalties.score('a', 0) >= SCORE_THRESHOLDS.graylistThreshold)
    penalties.add('a', 'equivocation', 0)
    assert.equal(penalties.score('a', 0), -100)
    for (let i = 0; i < 4; i++) penalties.add('b', 'slow-request', 0)
    for (let i = 0; i < 4; i++) penalties.add('b', 'stream-flood', 0)
    assert.equal(penalties.score('b', 0), 8 * OFFENCE_WEIGHTS['slow-request'])
    assert.ok(penalties.score('b', 0) >= SCORE_THRESHOLDS.graylistThreshold)
    penalties.add('b', 'invalid-payload', 0)
    assert.equal(penalties.score('b', 0), -110)
    assert.deepEqual(penalties.peers(0), ['b', 'a'])
  })

  it('bans grow: 10 min, 20, 40, ... up to 24 h, and a week of good behaviour starts again at 10 min', () => {
    const bans = new PeerBans()
    const lengths: number[] = []
    let now = 0
    for (let i = 0; i < 10; i++) {
      const ms = bans.banWithBackoff('p', now)
      lengths.push(ms / 60_000)
      assert.ok(bans.isBanned('p', now + ms - 1) && !bans.isBanned('p', now + ms))
      now += ms
    }
    assert.deepEqual(lengths, [10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440])
    assert.equal(MAX_BAN_MS, 1440 * 60_000)
    assert.equal(bans.banWithBackoff('p', now + 8 * 24 * 3_600_000), GRAYLIST_BAN_MS)
  })

  it('bans and disconnects the peers below the threshold by either score, once, and leaves the others', () => {
    const bans = new PeerBans()
    const penalties = new PeerPenalties()
    const gossip = new Map([['bad-signatures', -95], ['honest', 30]])
    const hungUp: string[] = []
    const warnings: string[] = []
    const enforcement = new BanEnforcement({
      bans,
      penalties,
      gossipScore: peer => gossip.get(peer) ?? 0,
      gossipPeers: () => [...gossip.keys()],
      hangUp: async peer => { hungUp.push(peer) },
      log: { info () {}, debug () {}, warn: (m: string) => { warnings.push(m) } }
    })
    // A slow-loris peer gossipsub never saw, and a bad-model server.
    for (let i = 0; i < 9; i++) penalties.add('slow-loris', 'slow-request', 0)
    for (let i = 0; i < 3; i++) penalties.add('bad-model', 'invalid-payload', 0)
    penalties.add('honest', 'slow-request', 0)
    assert.deepEqual(enforcement.check(0).sort(), ['bad-model', 'bad-signatures', 'slow-loris'])
    assert.deepEqual(hungUp.sort(), ['bad-model', 'bad-signatures', 'slow-loris'])
    assert.ok(!bans.isBanned('honest', 0))
    assert.match(warnings.find(w => w.includes('slow-loris')) ?? '', /^peer slow-loris banned for 10 min \(score -90\.0, below -80\): disconnected and refused$/)
    assert.deepEqual(enforcement.check(1000), [], 'a banned peer is not banned again while its ban lasts')
    // Ten minutes on, still below the threshold (gossipsub keeps its score): the second ban is 20 min.
    assert.deepEqual(enforcement.check(GRAYLIST_BAN_MS), ['bad-signatures'])
    assert.equal(bans.bannedUntil('bad-signatures', GRAYLIST_BAN_MS), GRAYLIST_BAN_MS + 2 * GRAYLIST_BAN_MS)
  })

  it('the round loop counts a served model full of NaN against its sender, and does not use it', async () => {
    const manifest: NetworkManifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 300, window: 2 } }
    const id = networkId(manifest)
    const network = new InProcessNetwork()
    const keys = await Promise.all([1, 2].map(seed => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))))
    const [honestId, hostileId] = keys.map(k => peerIdFromPrivateKey(k).toString()) as [string, string]
    const honest = network.join(honestId)
    const hostile = network.join(hostileId)
    const summaries: RoundSummary[] = []
    const loop = new RoundLoop({
      manifest, networkId: id, privateKey: keys[0]!, peerId: honestId, parameterCount: 4, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(4), rounds: 1
    }, {
      network: honest,
      trainer: { train: async weights => ({ weights, loss: 0, sampleCount: 1 }), evaluateHoldout: async () => ({ accuracy: 0, loss: 0 }) },
      aggregator: createAggregator(manifest.aggregation),
      log: silentLogger,
      onRound: s => { summaries.push(s) }
    })
    const running = loop.run(new AbortController().signal)
    const poisoned = encodeModelPayload(new Float32Array([NaN, 0, 0, 0]))
    const announcement = await signAnnouncement({
      networkId: id, peerId: hostileId, round: 0, modelHash: payloadHash(poisoned), byteLength: poisoned.byteLength, encoding: PAYLOAD_ENCODING, sampleCount: 1, loss: 0, datasetFingerprint: '', ledgerHead: ''
    }, keys[1]!)
    await hostile.announce(announcement, poisoned)
    await running
    assert.equal(honest.penalties.get(hostileId), 1)
    assert.deepEqual(summaries.map(s => [s.used, s.refused]), [[0, 1]])
  })
})
