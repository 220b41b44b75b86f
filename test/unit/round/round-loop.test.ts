import assert from 'node:assert/strict'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { InProcessNetwork } from '../../../src/round/index.ts'
import { RoundLoop } from '../../../src/round/index.ts'
import type { LocalTrainer, RoundSummary } from '../../../src/round/index.ts'
import { silentLogger } from '../../../src/round/index.ts'
import { DEFAULT_MANIFEST, networkId } from '../../../src/protocol/index.ts'
import type { AggregationSpec, NetworkManifest } from '../../../src/protocol/index.ts'
import { collectedAfterThisTurn } from './collect-garbage.ts'

const DIMENSIONS = 4

/** A stand-in for SGD: each step moves the model halfway to the node's own optimum. */
function pullTowards (target: number): LocalTrainer {
  return {
    train: async weights => ({ weights: weights.map(w => w + (target - w) / 2), loss: Math.abs(target - (weights[0] ?? 0)), sampleCount: 1 }),
    evaluateHoldout: async weights => ({ accuracy: 1 / (1 + Math.abs(target - (weights[0] ?? 0))), loss: 0 })
  }
}

function manifestWith (quorum: number, deadlineMs: number, aggregation: AggregationSpec): NetworkManifest {
  return { ...DEFAULT_MANIFEST, aggregation, rounds: { quorum, deadlineMs, window: 2 } }
}

async function member (network: InProcessNetwork, seed: number, manifest: NetworkManifest, target: number, rounds: number, summaries: RoundSummary[], minRoundMs = 0) {
  const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const net = network.join(peerId)
  const loop = new RoundLoop({
    manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: DIMENSIONS, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(DIMENSIONS), rounds, minRoundMs
  }, {
    network: net, trainer: pullTowards(target), aggregator: createAggregator(manifest.aggregation), log: silentLogger, onRound: s => { summaries.push(s) }
  })
  return { loop, net, peerId }
}

describe('round loop over the in-process network', () => {
  it('three members aggregate each other\'s models every round and agree', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(2, 10_000, { rule: 'median', f: 1 })
    const summaries: RoundSummary[][] = [[], [], []]
    const members = await Promise.all([0, 1, 2].map(i => member(network, i + 1, manifest, [0, 1, 10][i] as number, 5, summaries[i] as RoundSummary[])))
    const models = await Promise.all(members.map(m => m.loop.run(new AbortController().signal)))
    for (const s of summaries) {
      assert.deepEqual(s.map(x => x.round), [0, 1, 2, 3, 4])
      assert.ok(s.every(x => x.used === 2 && x.refused === 0 && !x.keptOwn && x.inputs === 3 && x.needed === 3))
      assert.ok(s.every(x => x.heard.length === 2 && !x.heard.includes(members[summaries.indexOf(s)]?.peerId ?? '')))
    }
    // The median of three identical aggregates is one model: every member ends with the same.
    assert.deepEqual(models[0], models[1])
    assert.deepEqual(models[1], models[2])
    // The median ignores the outlying optimum (10): the consensus lies between the other two.
    assert.ok((models[0]?.[0] ?? NaN) <= 1.0, String(models[0]))
  })

  it('with minRoundMs, members start a round at most that often and still aggregate each other\'s models every round', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(2, 10_000, { rule: 'median', f: 1 })
    const summaries: RoundSummary[][] = [[], [], []]
    const minRoundMs = 150
    const members = await Promise.all([0, 1, 2].map(i => member(network, i + 1, manifest, [0, 1, 10][i] as number, 4, summaries[i] as RoundSummary[], minRoundMs)))
    const startedAt = Date.now()
    await Promise.all(members.map(m => m.loop.run(new AbortController().signal)))
    // Rounds 1, 2 and 3 each started at least minRoundMs after the one before; the last one ends the run without a pause.
    const elapsed = Date.now() - startedAt
    assert.ok(elapsed >= 3 * minRoundMs, `4 rounds in ${elapsed} ms`)
    for (const s of summaries) assert.ok(s.every(x => x.used === 2 && !x.keptOwn), JSON.stringify(s.map(x => [x.round, x.used])))
  })

  it('a stop during the pause between rounds ends the run at once', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(0, 10_000, { rule: 'mean' })
    const summaries: RoundSummary[] = []
    const { loop } = await member(network, 1, manifest, 0, 10, summaries, 3_600_000)
    const stop = new AbortController()
    const run = loop.run(stop.signal)
    while (summaries.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
    stop.abort()
    await run
    assert.deepEqual(summaries.map(s => s.round), [0])
  })

  for (const encoding of ['float16', 'int8'] as const) {
    it(`with ${encoding} models, members aggregate each other's models as sent, their own included, and agree`, async () => {
      const network = new InProcessNetwork()
      const base = manifestWith(2, 10_000, { rule: 'median', f: 1 })
      const manifest: NetworkManifest = { ...base, model: { ...base.model, encoding } }
      const summaries: RoundSummary[][] = [[], [], []]
      const members = await Promise.all([0, 1, 2].map(i => member(network, i + 1, manifest, [0, 1, 10][i] as number, 5, summaries[i] as RoundSummary[])))
      const models = await Promise.all(members.map(m => m.loop.run(new AbortController().signal)))
      for (const s of summaries) assert.ok(s.every(x => x.used === 2 && x.refused === 0 && !x.keptOwn), JSON.stringify(s.map(x => [x.used, x.refused])))
      // Every member aggregated the same three dequantised models, so all end with the same one.
      assert.deepEqual(models[0], models[1])
      assert.deepEqual(models[1], models[2])
      assert.ok((models[0]?.[0] ?? NaN) <= 1.0, String(models[0]))
      // The own model in the trace is the one that travelled: the announced payload decodes to it.
      const last = summaries[0]?.at(-1)
      assert.ok(last?.trace.announcement?.encoding === (encoding === 'float16' ? 'f16le' : 'i8-block256'))
    })
  }

  it('a silent member does not stall the others: rounds close at the deadline with what arrived', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(2, 100, { rule: 'mean' })
    const summaries: RoundSummary[][] = [[], []]
    const live = await Promise.all([0, 1].map(i => member(network, i + 1, manifest, i, 3, summaries[i] as RoundSummary[])))
    network.join(peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(9))).toString())
    await Promise.all(live.map(m => m.loop.run(new AbortController().signal)))
    for (const s of summaries) assert.deepEqual(s.map(x => [x.round, x.used]), [[0, 1], [1, 1], [2, 1]])
  })

  it('keeps its own model and says so when too few inputs meet the rule\'s precondition', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(2, 100, { rule: 'median', f: 1 })
    const summaries: RoundSummary[] = []
    const alone = await member(network, 1, manifest, 3, 2, summaries)
    await alone.loop.run(new AbortController().signal)
    assert.deepEqual(summaries.map(s => [s.round, s.keptOwn, s.used, s.inputs, s.needed, s.heard.length]), [[0, true, 0, 1, 3, 0], [1, true, 0, 1, 3, 0]])
  })

  it('follows the governance: the rule and timing of a later manifest version apply from its round', async () => {
    const network = new InProcessNetwork()
    const median = manifestWith(2, 50, { rule: 'median', f: 1 })
    const mean = manifestWith(2, 50, { rule: 'mean' })
    const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7))
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const summaries: RoundSummary[] = []
    const infos: string[] = []
    const loop = new RoundLoop({
      manifest: median, networkId: networkId(median), privateKey, peerId, parameterCount: DIMENSIONS, datasetFingerprint: '', startRound: 0, startWeights: new Float32Array(DIMENSIONS), rounds: 4
    }, {
      network: network.join(peerId),
      trainer: pullTowards(1),
      aggregator: createAggregator(median.aggregation),
      governance: round => (round < 2 ? { version: 0, manifest: median, aggregator: createAggregator(median.aggregation) } : { version: 1, manifest: mean, aggregator: createAggregator(mean.aggregation) }),
      log: { ...silentLogger, info: (m: string) => { infos.push(m) } },
      onRound: s => { summaries.push(s) }
    })
    await loop.run(new AbortController().signal)
    // Alone, the median (3 inputs) keeps the node's own model; the mean (1 input) aggregates it.
    assert.deepEqual(summaries.map(s => [s.round, s.needed, s.keptOwn]), [[0, 3, true], [1, 3, true], [2, 1, false], [3, 1, false]])
    assert.deepEqual(infos.filter(m => m.includes('manifest version')), ['round 2: now under manifest version 1: rule mean (f=0), quorum 2, deadline 50 ms'])
  })

  it('a late joiner catches up to the network\'s round instead of starting at round 0', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(1, 10_000, { rule: 'mean' })
    const early: RoundSummary[][] = [[], []]
    const late: RoundSummary[] = []
    const members = await Promise.all([0, 1].map(i => member(network, i + 1, manifest, i, 40, early[i] as RoundSummary[])))
    const running = members.map(m => m.loop.run(new AbortController().signal))
    while ((early[0]?.length ?? 0) < 10) await new Promise(resolve => setImmediate(resolve))
    const joiner = await member(network, 3, manifest, 0.5, 40, late)
    await Promise.all([...running, joiner.loop.run(new AbortController().signal)])
    assert.ok((late[0]?.round ?? 0) >= 10, `the joiner's first finished round is ${late[0]?.round}`)
    assert.equal(late.at(-1)?.round, 39)
  })

  it('repeats its announcement to a peer that missed it and is still waiting on that round', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(1, 10_000, { rule: 'mean' })
    const first: RoundSummary[] = []
    const second: RoundSummary[] = []
    const early = await member(network, 1, manifest, 0, 2, first)
    let announced = 0
    const announce = early.net.announce.bind(early.net)
    early.net.announce = async (...args) => { announced++; return announce(...args) }
    const running = early.loop.run(new AbortController().signal)
    // The early member announces round 0 before anyone is there to hear it.
    while (announced === 0) await new Promise(resolve => setImmediate(resolve))
    const late = await member(network, 2, manifest, 1, 2, second)
    await Promise.all([running, late.loop.run(new AbortController().signal)])
    // Without the repeat the late member would close round 0 at the 10 s deadline with no input.
    assert.deepEqual(second.map(s => [s.round, s.used]), [[0, 1], [1, 1]])
    assert.ok((second[0]?.durationMs ?? Infinity) < 5000, `round 0 took ${second[0]?.durationMs} ms`)
  })

  it('never announces a model whose training diverged, and aggregates from the model it started with', async () => {
    const network = new InProcessNetwork()
    const manifest = manifestWith(1, 200, { rule: 'mean' })
    const privateKey = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(5))
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const net = network.join(peerId)
    let announced = 0
    const announce = net.announce.bind(net)
    net.announce = async (...args) => { announced++; return announce(...args) }
    const summaries: RoundSummary[] = []
    const start = new Float32Array([1, 2, 3, 4])
    const loop = new RoundLoop({
      manifest, networkId: networkId(manifest), privateKey, peerId, parameterCount: DIMENSIONS, datasetFingerprint: '', startRound: 0, startWeights: start, rounds: 1
    }, {
      network: net,
      trainer: { train: async weights => ({ weights: weights.map(() => NaN), loss: NaN, sampleCount: 1 }), evaluateHoldout: async () => ({ accuracy: 0, loss: 0 }) },
      aggregator: createAggregator(manifest.aggregation),
      log: silentLogger,
      onRound: s => { summaries.push(s) }
    })
    const final = await loop.run(new AbortController().signal)
    assert.equal(announced, 0)
    assert.deepEqual(final, start)
    assert.equal(summaries.length, 1)
  })

  it('leaves nothing of its model fetches behind: every fetch\'s signal is garbage once its rounds are over, under a run signal that lives on', async () => {
    // AbortSignal.any([run, AbortSignal.timeout(deadline)]) per fetch kept every one of them in
    // Node 22 (deadline-signal.ts): a 1,000-peer simulation grew by 8,000 such signals a round.
    const network = new InProcessNetwork()
    const manifest = manifestWith(2, 60_000, { rule: 'median', f: 1 })
    const run = new AbortController()
    const fetchSignals: Array<WeakRef<AbortSignal>> = []
    const summaries: RoundSummary[][] = [[], [], []]
    const members = await Promise.all([0, 1, 2].map(i => member(network, i + 1, manifest, i, 6, summaries[i] as RoundSummary[])))
    for (const { net } of members) {
      const fetchPayload = net.fetchPayload.bind(net)
      net.fetchPayload = async (announcement, signal) => {
        fetchSignals.push(new WeakRef(signal))
        return await fetchPayload(announcement, signal)
      }
    }
    await Promise.all(members.map(m => m.loop.run(run.signal)))
    for (const s of summaries) assert.ok(s.every(x => x.used === 2), JSON.stringify(s.map(x => x.used)))
    assert.ok(fetchSignals.length >= 3 * 6 * 2, `${fetchSignals.length} fetches`)
    await collectedAfterThisTurn()
    assert.equal(fetchSignals.filter(r => r.deref() !== undefined).length, 0)
    assert.equal(run.signal.aborted, false)
  })
})
