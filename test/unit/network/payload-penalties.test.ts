import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { InProcessNetwork } from '../../../src/round/index.ts'
import { INVALID_PAYLOAD_WEIGHT, PayloadPenalties, SCORE_THRESHOLDS } from '../../../src/network/index.ts'
import { silentLogger } from '../../../src/round/index.ts'
import { RoundLoop } from '../../../src/round/index.ts'
import type { RoundSummary } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, PAYLOAD_ENCODING, encodeModelPayload, networkId, payloadHash, signAnnouncement } from '../../../src/protocol/index.ts'
import type { NetworkManifest } from '../../../src/protocol/index.ts'

describe('payload penalties', () => {
  it('three invalid payloads take a peer below the graylist threshold, and the penalty decays', () => {
    const penalties = new PayloadPenalties()
    for (let i = 0; i < 3; i++) penalties.add('peer', 1_000_000)
    assert.equal(penalties.score('peer', 1_000_000), 3 * INVALID_PAYLOAD_WEIGHT)
    assert.ok(penalties.score('peer', 1_000_000) < SCORE_THRESHOLDS.graylistThreshold)
    // 0.99 per second: about half after 69 seconds.
    assert.ok(Math.abs(penalties.score('peer', 1_069_000) - 1.5 * INVALID_PAYLOAD_WEIGHT) < 1)
    assert.equal(penalties.score('someone else', 1_000_000), 0)
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
