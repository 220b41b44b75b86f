import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import type { Aggregator } from '../../../src/aggregation/index.ts'
import { InProcessNetwork, RoundLoop, silentLogger } from '../../../src/round/index.ts'
import type { CatchUpTrace, LocalTrainer, RoundSummary } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../../src/protocol/index.ts'

/** Each step moves the model halfway to the node's own optimum. */
function pullTowards (target: number): LocalTrainer {
  return {
    train: async weights => ({ weights: weights.map(w => w + (target - w) / 2), loss: 1, sampleCount: 1 }),
    evaluateHoldout: async () => ({ accuracy: 1, loss: 0 })
  }
}

describe('round loop: the trace the ledger records', () => {
  it('aggregates peers in peer id order and reports them, with the start model and own announcement, in its trace', async () => {
    const network = new InProcessNetwork()
    const manifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 4, deadlineMs: 10_000, window: 2 } }
    const members = await Promise.all([5, 1, 4, 2, 3].map(async (seed, i) => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
      const peerId = peerIdFromPrivateKey(privateKey).toString()
      const base = createAggregator(manifest.aggregation)
      const calls: Float32Array[][] = []
      // Mean over float32 sums: the order of the inputs can change the last bit, so it is fixed.
      const aggregator: Aggregator = { ...base, aggregate: (own, peers) => { calls.push([...peers]); return base.aggregate(own, peers) } }
      const summaries: RoundSummary[] = []
      const loop = new RoundLoop({
        manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: 3, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(3), rounds: 3
      }, { network: network.join(peerId), trainer: pullTowards(i * 3.7), aggregator, log: silentLogger, onRound: s => { summaries.push(s) } })
      return { loop, peerId, calls, summaries }
    }))
    await Promise.all(members.map(m => m.loop.run(new AbortController().signal)))
    for (const m of members) {
      assert.equal(m.summaries.length, 3)
      for (const [r, s] of m.summaries.entries()) {
        const peers = s.trace.peerInputs.map(p => p.announcement.peerId)
        assert.deepEqual(peers, [...peers].sort(), 'peer inputs in peer id order')
        assert.equal(peers.length, 4)
        assert.ok(s.trace.peerInputs.every(p => p.verdict === 'accept' && p.used && p.weights !== undefined))
        // The rule took exactly those models, in that order.
        assert.deepEqual(m.calls[r], s.trace.peerInputs.map(p => p.weights))
        assert.equal(s.trace.announcement?.peerId, m.peerId)
        assert.deepEqual(s.trace.start, r === 0 ? new Float32Array(3) : m.summaries[r - 1]?.weights)
      }
    }
  })

  it('under the peer-alignment memory, a peer pulling the other way is left out after its warm-up: verdict misaligned, not used, its average in the summary', async () => {
    const network = new InProcessNetwork()
    const manifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean', alignmentThreshold: -0.1, alignmentDecay: 0.5, alignmentWarmup: 2 }, rounds: { quorum: 3, deadlineMs: 10_000, window: 2 } }
    const members = await Promise.all([1, 2, 3, 4].map(async seed => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
      return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), summaries: [] as RoundSummary[] }
    }))
    const away = members[3] as (typeof members)[number]
    await Promise.all(members.map(async m => new RoundLoop({
      manifest, networkId: networkId(manifest), privateKey: m.privateKey, peerId: m.peerId, parameterCount: 3, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(3), rounds: 4
    }, {
      network: network.join(m.peerId), trainer: pullTowards(m === away ? -10 : 1 + 0.1 * members.indexOf(m)), aggregator: createAggregator(manifest.aggregation), log: silentLogger,
      onRound: s => { m.summaries.push(s) }
    }).run(new AbortController().signal)))
    for (const m of members.filter(m => m !== away)) {
      const verdicts = m.summaries.map(s => s.trace.peerInputs.find(p => p.announcement.peerId === away.peerId)).map(p => [p?.verdict, p?.used])
      assert.deepEqual(verdicts, [['accept', true], ['misaligned', false], ['misaligned', false], ['misaligned', false]])
      for (const s of m.summaries) assert.ok(s.trace.peerInputs.filter(p => p.announcement.peerId !== away.peerId).every(p => p.verdict === 'accept' && p.used))
      const remembered = m.summaries.at(-1)?.alignment?.[away.peerId]
      assert.ok(remembered !== undefined && remembered.average < -0.1 && remembered.rounds === 4, JSON.stringify(remembered))
      assert.equal(m.summaries.at(-1)?.used, 2)
    }
  })

  it('reports a catch-up: the peers\' round, the models taken in the rule\'s order, and the weights the next round starts from', async () => {
    const network = new InProcessNetwork()
    const manifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 10_000, window: 2 } }
    const start = async (seed: number, target: number, summaries: RoundSummary[], catchUps: CatchUpTrace[]) => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
      const peerId = peerIdFromPrivateKey(privateKey).toString()
      return new RoundLoop({
        manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: 3, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(3), rounds: 20
      }, {
        network: network.join(peerId), trainer: pullTowards(target), aggregator: createAggregator(manifest.aggregation), log: silentLogger,
        onRound: s => { summaries.push(s) }, onCatchUp: t => { catchUps.push(t) }
      }).run(new AbortController().signal)
    }
    const early: RoundSummary[] = []
    const running = [start(1, 0, early, []), start(2, 1, [], [])]
    while (early.length < 8) await new Promise(resolve => setImmediate(resolve))
    const late: RoundSummary[] = []
    const catchUps: CatchUpTrace[] = []
    await Promise.all([...running, start(3, 0.5, late, catchUps)])
    assert.equal(catchUps.length, 1)
    const [caught] = catchUps as [CatchUpTrace]
    assert.ok(caught.peerRound >= 7 && caught.round === caught.peerRound + 1, JSON.stringify({ peerRound: caught.peerRound, round: caught.round }))
    assert.ok(caught.inputs.length >= 1 && caught.inputs.every(i => i.announcement.round === caught.peerRound))
    assert.equal(caught.aggregated, true)
    assert.equal(late[0]?.round, caught.round)
    assert.deepEqual(late[0]?.trace.start, caught.weights)
  })

  it('under a fanout, a catch-up fetches a sample of that size, not every peer\'s model', async () => {
    const network = new InProcessNetwork()
    const manifest = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 2, deadlineMs: 10_000, window: 2, fanout: 2 } }
    const early: RoundSummary[] = []
    const rounds = async (count: number): Promise<void> => {
      const until = early.length + count
      while (early.length < until) await new Promise(resolve => setImmediate(resolve))
    }
    const start = async (seed: number, summaries: RoundSummary[], catchUps: CatchUpTrace[], firstTraining?: Promise<void>) => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
      const peerId = peerIdFromPrivateKey(privateKey).toString()
      const trainer = pullTowards(seed)
      return new RoundLoop({
        manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: 3, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(3), rounds: 16
      }, {
        network: network.join(peerId), trainer: { ...trainer, train: async (...args) => { await firstTraining; return await trainer.train(...args) } },
        aggregator: createAggregator(manifest.aggregation), log: silentLogger, onRound: s => { summaries.push(s) }, onCatchUp: t => { catchUps.push(t) }
      }).run(new AbortController().signal)
    }
    const running = [start(1, early, []), ...[2, 3, 4, 5].map(async seed => await start(seed, [], []))]
    await rounds(6)
    // The joiner hears every peer announce while its first training lasts, then finds itself behind.
    const catchUps: CatchUpTrace[] = []
    await Promise.all([...running, start(6, [], catchUps, rounds(3))])
    const [caught] = catchUps as [CatchUpTrace]
    assert.ok(caught !== undefined && caught.peerRound >= 6, JSON.stringify(caught?.peerRound))
    // Five peers announced that round or later; two models are taken, as a round under fanout 2 takes.
    assert.equal(caught.inputs.length, 2)
    assert.equal(new Set(caught.inputs.map(i => i.announcement.peerId)).size, 2)
  })

  it('catches up with the rule of the round it continues at, when a manifest version changed it', async () => {
    const network = new InProcessNetwork()
    const mean = { ...DEFAULT_MANIFEST, aggregation: { rule: 'mean' }, rounds: { quorum: 1, deadlineMs: 10_000, window: 2 } }
    // The joiner starts under the genesis's median (3 inputs: more than the 2 peers can give) and
    // holds a version that moves the network to the mean from round 3.
    const median = { ...mean, aggregation: { rule: 'median', f: 1 } }
    const loop = async (seed: number, target: number, summaries: RoundSummary[], catchUps: CatchUpTrace[], joiner: boolean) => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
      const peerId = peerIdFromPrivateKey(privateKey).toString()
      const manifest = joiner ? median : mean
      return new RoundLoop({
        manifest, networkId: networkId(mean), privateKey, peerId, parameterCount: 3, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(3), rounds: 20
      }, {
        network: network.join(peerId), trainer: pullTowards(target), aggregator: createAggregator(manifest.aggregation), log: silentLogger,
        onRound: s => { summaries.push(s) }, onCatchUp: t => { catchUps.push(t) },
        ...(joiner ? { governance: (round: number) => (round < 3 ? { version: 0, manifest: median, aggregator: createAggregator(median.aggregation) } : { version: 1, manifest: mean, aggregator: createAggregator(mean.aggregation) }) } : {})
      }).run(new AbortController().signal)
    }
    const early: RoundSummary[] = []
    const running = [loop(1, 0, early, [], false), loop(2, 1, [], [], false)]
    while (early.length < 8) await new Promise(resolve => setImmediate(resolve))
    const catchUps: CatchUpTrace[] = []
    await Promise.all([...running, loop(3, 0.5, [], catchUps, true)])
    const [caught] = catchUps as [CatchUpTrace]
    assert.ok(caught.peerRound >= 7, String(caught.peerRound))
    assert.deepEqual(caught.aggregation, { rule: 'mean' })
    // The mean takes one model or more; the median would have needed three and taken the first as it is.
    assert.ok(caught.inputs.length >= 1)
    assert.equal(caught.aggregated, true)
  })
})
