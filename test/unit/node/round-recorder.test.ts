import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { AuditLedger, answerLedgerRequest, formatCheckpoint, formatLineage, modelLineage, parseCheckpoint, peerInputsOf, signCheckpoint, verifyLedgerDirectory } from '../../../src/ledger/index.ts'
import type { LineageNode, PrivacyAccount } from '../../../src/ledger/index.ts'
import { computeEpsilon } from '../../../src/privacy/index.ts'
import { RoundRecorder } from '../../../src/node/round-recorder.ts'
import { DEFAULT_MANIFEST, encodeModelPayload, networkId, payloadHash, signAnnouncement } from '../../../src/protocol/index.ts'
import type { UpdateAnnouncement } from '../../../src/protocol/index.ts'
import type { RoundSummary } from '../../../src/round/index.ts'
import { recordRounds, tempDir, testKey } from '../ledger/fixtures.ts'

const silent = { debug: () => {}, info: () => {}, warn: () => {} }

async function announce (seed: number, round: number, weights: Float32Array, ledgerHead = ''): Promise<UpdateAnnouncement> {
  const key = await testKey(seed)
  const payload = encodeModelPayload(weights)
  return signAnnouncement({
    networkId: networkId(DEFAULT_MANIFEST), peerId: peerIdFromPrivateKey(key).toString(), round, modelHash: payloadHash(payload), byteLength: payload.byteLength,
    encoding: 'f32le', sampleCount: 640, loss: 0.5, datasetFingerprint: 'ab'.repeat(32), ledgerHead
  }, key)
}

/** Round `round` of a node whose peer 2 was used, peer 3 refused (hash-mismatch) and peer 4 equivocated. */
async function summary (round: number, start: Float32Array, peerHead: string): Promise<RoundSummary> {
  const trained = start.map(w => w + 1)
  const peer2 = start.map(w => w + 2)
  const weights = start.map(w => w + 1.5)
  const equivocation = { first: await announce(4, round, start.map(w => w + 4)), second: await announce(4, round, start.map(w => w + 5)) }
  return {
    round, peers: 3, used: 1, refused: 2, keptOwn: false, inputs: 2, needed: 2, heard: [], loss: 0.25, accuracy: 0.75, weights,
    durationMs: 10, aggregationMs: 0.5, bytesFetched: 16,
    trace: {
      start, trained, announcement: await announce(1, round, trained),
      peerInputs: [
        { announcement: await announce(2, round, peer2, peerHead), weights: peer2, verdict: 'accept', used: true },
        { announcement: await announce(3, round, start), verdict: 'hash-mismatch', used: false },
        { announcement: equivocation.first, verdict: 'equivocation', used: false }
      ],
      evidence: [{ peerId: equivocation.first.peerId, round, ...equivocation }],
      aggregation: DEFAULT_MANIFEST.aggregation
    }
  }
}

describe('RoundRecorder: the daemon\'s rounds in the audit ledger', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  beforeEach(async () => { temp = await tempDir() })
  afterEach(async () => { await temp.remove() })

  it('records each round with its models, commits it, and the log verifies and explains the last model', async () => {
    const privateKey = await testKey(1)
    const init = {
      dataDir: temp.dir, privateKey, manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: (round: number) => 7000 + round, log: silent
    }
    const recorder = await RoundRecorder.open(init)
    assert.deepEqual(recorder.ledger.entries.map(e => e.entry.kind), ['manifest', 'data'])
    const firstHead = recorder.head()
    assert.equal(parseCheckpoint(firstHead).size, 2)
    const peerKey = await testKey(2)
    const peerHead = formatCheckpoint(await signCheckpoint(peerIdFromPrivateKey(peerKey).toString(), { size: 5, root: 'e'.repeat(64), time: 1_700_000_000_000 }, peerKey))
    let start: Float32Array = new Float32Array([0, 0, 0])
    for (let round = 0; round < 2; round++) {
      const s = await summary(round, start, peerHead)
      await recorder.record(s)
      start = s.weights
    }
    // The announcement carries a checkpoint once the commit is durable.
    await recorder.durable()
    assert.equal(parseCheckpoint(recorder.head()).size, recorder.ledger.size)
    const kinds = recorder.ledger.entries.slice(2, 11).map(e => e.entry.kind)
    // Round 0 lists the three peers in the peer table before the aggregate names them; round 1 names them only.
    assert.deepEqual(kinds, ['training', 'announcement', 'peer', 'peer', 'peer', 'aggregate', 'evaluation', 'evidence', 'training'])
    const inputs = recorder.ledger.entries.flatMap(e => (e.entry.kind === 'aggregate' ? [e.entry.body.inputs] : []))[0] ?? []
    assert.deepEqual(inputs.map(i => [i.peer, i.verdict, i.used]), [[0, 'accept', true], [1, 'hash-mismatch', false], [2, 'equivocation', false]])
    assert.deepEqual(inputs.map(i => i.checkpoint), [{ size: 5, root: 'e'.repeat(64) }, null, null])
    await recorder.close()

    // Reopening does not record the manifest and data again; the log verifies with its models.
    const again = await RoundRecorder.open(init)
    assert.equal(again.ledger.size, 2 + 8 + 5)
    await again.close()
    const report = await verifyLedgerDirectory(temp.dir, peerIdFromPrivateKey(privateKey).toString(), privateKey.publicKey)
    assert.equal(report.failure, undefined)
    const lineage = modelLineage(report.entries.map(e => e.entry), payloadHash(encodeModelPayload(start))) as Extract<LineageNode, { origin: 'aggregate' }>
    assert.equal(lineage.origin, 'aggregate')
    assert.deepEqual(lineage.inputs.map(i => i.origin).sort(), ['peer', 'training'])
    const ledger = await AuditLedger.open({ dataDir: temp.dir, privateKey, warn: () => {} })
    assert.ok(await ledger.models.get(lineage.model) !== undefined, 'the aggregate output is held')
    await ledger.close()
  })

  it('keeps evidence when a peer shows a checkpoint of a shorter log, or another root at the same size, and not otherwise', async () => {
    const privateKey = await testKey(1)
    const warnings: string[] = []
    const recorder = await RoundRecorder.open({
      dataDir: temp.dir, privateKey, manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: round => 7000 + round, log: { ...silent, warn: (line: string) => { warnings.push(line) } }
    })
    const peerKey = await testKey(2)
    const peer = peerIdFromPrivateKey(peerKey).toString()
    const head = async (size: number, root: string): Promise<string> => formatCheckpoint(await signCheckpoint(peer, { size, root: root.repeat(64), time: 1_700_000_000_000 + size }, peerKey))
    const forged = formatCheckpoint(await signCheckpoint(peer, { size: 99, root: 'f'.repeat(64), time: 1 }, await testKey(3)))
    const heads = [await head(10, 'a'), await head(20, 'b'), forged, await head(12, 'c'), await head(20, 'd'), await head(30, 'e'), await head(30, 'f')]
    let start: Float32Array = new Float32Array([0, 0, 0])
    const caught: string[][] = []
    for (const [round, h] of heads.entries()) {
      const s = await summary(round, start, h)
      caught.push(await recorder.record({ ...s, trace: { ...s.trace, evidence: [], peerInputs: s.trace.peerInputs.slice(0, 1) } }))
      start = s.weights
    }
    // The daemon charges these peers as equivocators, once per fork.
    assert.deepEqual(caught, [[], [], [], [peer], [], [], [peer]])
    const forks = recorder.ledger.entries.flatMap(e => (e.entry.kind === 'evidence' ? [e.entry.body] : []))
    // 20 then 12 (shorter); 20:d contradicts the same 20:b and is not kept again; 30 then another
    // root at 30. The forged checkpoint is not recorded at all.
    assert.deepEqual(forks.map(f => [f.round, f.reason, parseCheckpoint(f.first).size, parseCheckpoint(f.second).size]), [[3, 'forked-log', 20, 12], [6, 'forked-log', 30, 30]])
    assert.equal(warnings.filter(w => /ledger forked/.test(w)).length, 2)
    const recorded = peerInputsOf(recorder.ledger.entries.map(e => e.entry)).map(i => i.checkpoint)
    assert.equal(recorded[2], null, 'a checkpoint not signed by the peer is not recorded')
    await recorder.close()
  })

  it('asks a peer whose log grew for a consistency proof: growth that extends the log passes, a rewritten history is kept as evidence', async () => {
    const peerKey = await testKey(2)
    const peer = peerIdFromPrivateKey(peerKey).toString()
    const honestDir = await tempDir()
    const forkDir = await tempDir()
    const honest = await AuditLedger.open({ dataDir: honestDir.dir, privateKey: peerKey, warn: () => {} })
    const rewritten = await AuditLedger.open({ dataDir: forkDir.dir, privateKey: peerKey, warn: () => {} })
    let serving = honest
    const asked: Array<[number, number]> = []
    const recorder = await RoundRecorder.open({
      dataDir: temp.dir, privateKey: await testKey(1), manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: round => 7000 + round, log: silent,
      askConsistency: async (who, from, to) => {
        assert.equal(who, peer)
        asked.push([from, to])
        const answer = answerLedgerRequest(serving, { get: 'consistency', from, to })
        return 'proof' in answer ? answer.proof : undefined
      }
    })
    try {
      let start: Float32Array = new Float32Array([0, 0, 0])
      const round = async (r: number, head: string): Promise<string[]> => {
        const s = await summary(r, start, head)
        start = s.weights
        const caught = await recorder.record({ ...s, trace: { ...s.trace, evidence: [], peerInputs: s.trace.peerInputs.slice(0, 1) } })
        // The proof is asked for in the background; let it land before the next round.
        await new Promise(resolve => setImmediate(resolve))
        return caught
      }
      await recordRounds(honest, 1)
      assert.deepEqual(await round(0, formatCheckpoint(honest.checkpoint!)), [])
      const first = honest.checkpoint!.size
      await recordRounds(honest, 2)
      assert.deepEqual(await round(1, formatCheckpoint(honest.checkpoint!)), [])
      const second = honest.checkpoint!.size
      // The peer rewrote its history and trained past what it showed before: same key, other entries.
      await recordRounds(rewritten, 4)
      serving = rewritten
      assert.ok(rewritten.checkpoint!.size > second)
      // The proof arrives while the round is recorded, or with the next round at the latest.
      assert.deepEqual([...await round(2, formatCheckpoint(rewritten.checkpoint!)), ...await round(3, '')], [peer])
      assert.deepEqual(asked, [[first, second], [second, rewritten.checkpoint!.size]])
      const evidence = recorder.ledger.entries.flatMap(e => (e.entry.kind === 'evidence' ? [e.entry.body] : []))
      assert.deepEqual(evidence.map(f => [f.reason, parseCheckpoint(f.first).size, parseCheckpoint(f.second).size]), [['forked-log', second, rewritten.checkpoint!.size]])
    } finally {
      await recorder.close()
      await honest.close()
      await rewritten.close()
      await honestDir.remove()
      await forkDir.remove()
    }
  })

  it('keeps peers\' input models for keepInputRounds rounds and aggregate outputs for good', async () => {
    const recorder = await RoundRecorder.open({
      dataDir: temp.dir, privateKey: await testKey(1), manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: round => 7000 + round, keepInputRounds: 1, log: silent
    })
    const inputs: string[] = []
    const outputs: string[] = []
    let start: Float32Array = new Float32Array([0, 0, 0])
    for (let round = 0; round < 3; round++) {
      const s = await summary(round, start, '')
      await recorder.record(s)
      inputs.push(payloadHash(encodeModelPayload(s.trace.peerInputs[0]?.weights as Float32Array)))
      outputs.push(payloadHash(encodeModelPayload(s.weights)))
      start = s.weights
    }
    // Model files are written after each commit; close waits for the last round's.
    await recorder.close()
    const held = async (hash: string): Promise<boolean> => (await recorder.ledger.models.get(hash)) !== undefined
    assert.deepEqual(await Promise.all(inputs.map(held)), [false, false, true])
    assert.deepEqual(await Promise.all(outputs.map(held)), [true, true, true])
  })

  it('records a catch-up so the model the next round starts from has a lineage', async () => {
    const recorder = await RoundRecorder.open({
      dataDir: temp.dir, privateKey: await testKey(1), manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: round => 7000 + round, log: silent
    })
    const models = [2, 3, 4].map(x => new Float32Array([x, x, x]))
    const inputs = await Promise.all(models.map(async (m, i) => ({ announcement: await announce(2 + i, 9, m), weights: m })))
    const weights = new Float32Array([3, 3, 3])
    await recorder.recordCatchUp({ round: 10, peerRound: 9, inputs, aggregated: true, aggregation: DEFAULT_MANIFEST.aggregation, weights })
    const s = await summary(10, weights, '')
    await recorder.record(s)
    const lineage = modelLineage(recorder.ledger.entries.map(e => e.entry), payloadHash(encodeModelPayload(s.weights))) as Extract<LineageNode, { origin: 'aggregate' }>
    const own = lineage.inputs.find(i => i.origin === 'training') as Extract<LineageNode, { origin: 'training' }>
    assert.equal(own.start.origin, 'aggregate')
    const caughtUp = own.start as Extract<LineageNode, { origin: 'aggregate' }>
    assert.equal(caughtUp.round, 9)
    assert.deepEqual(caughtUp.inputs.map(i => i.origin), ['peer', 'peer', 'peer'])
    await recorder.close()
  })

  it('records a private round\'s privacy after its training, only when the accountant moved, and once across a restart', async () => {
    const privateKey = await testKey(1)
    const steps = DEFAULT_MANIFEST.training.localSteps
    let stepsSpent = 0
    const account = (): PrivacyAccount => ({
      mechanism: 'dp-sgd', noiseMultiplier: 1.1, clipNorm: 1, samplingRate: 0.01, steps, stepsSpent, delta: 1e-5,
      epsilon: computeEpsilon({ samplingRate: 0.01, noiseMultiplier: 1.1, steps: stepsSpent }, 1e-5).epsilon
    })
    const init = {
      dataDir: temp.dir, privateKey, manifest: DEFAULT_MANIFEST, networkId: networkId(DEFAULT_MANIFEST), datasetFingerprint: 'cd'.repeat(32),
      examples: { train: 5400, holdout: 600 }, backend: 'cpu', batchSeed: (round: number) => 7000 + round, log: silent, privacy: account
    }
    const privacyRounds = (recorder: RoundRecorder): number[] => recorder.ledger.entries.flatMap(e => (e.entry.kind === 'privacy' ? [e.entry.body.round] : []))
    let recorder = await RoundRecorder.open(init)
    let start: Float32Array = new Float32Array([0, 0, 0])
    // Rounds 0 and 1 trained; round 2 relayed (budget spent: nothing spent, no privacy entry, a training entry of 0 steps).
    for (const [round, spends] of [[0, true], [1, true], [2, false]] as const) {
      if (spends) stepsSpent += steps
      const s = await summary(round, start, '')
      await recorder.record(s)
      start = s.weights
    }
    assert.deepEqual(privacyRounds(recorder), [0, 1])
    const kinds = recorder.ledger.entries.map(e => e.entry.kind)
    assert.equal(kinds[kinds.indexOf('privacy') - 1], 'training')
    await recorder.close()
    // Restarted: round 2 recorded again without new spending records nothing; a round trained again after a crash that spent twice does.
    recorder = await RoundRecorder.open(init)
    await recorder.record(await summary(2, start, ''))
    assert.deepEqual(privacyRounds(recorder), [0, 1])
    stepsSpent += 2 * steps
    await recorder.record(await summary(3, start, ''))
    assert.deepEqual(privacyRounds(recorder), [0, 1, 3])
    await recorder.close()
    const report = await verifyLedgerDirectory(temp.dir, peerIdFromPrivateKey(privateKey).toString(), privateKey.publicKey)
    assert.equal(report.failure, undefined)
    const last = report.entries.map(e => e.entry).findLast(e => e.kind === 'privacy')
    assert.deepEqual(last?.body, { round: 3, ...account() })
    // A relayed round's training entry says it took no step on the data.
    const trainingSteps = report.entries.flatMap(e => (e.entry.kind === 'training' ? [[e.entry.body.round, e.entry.body.steps]] : []))
    assert.deepEqual(trainingSteps, [[0, steps], [1, steps], [2, 0], [2, 0], [3, steps]])
    // The lineage of the round's own model shows the privacy of its training.
    const training = report.entries.map(e => e.entry).findLast(e => e.kind === 'training')
    const lineage = modelLineage(report.entries.map(e => e.entry), training?.kind === 'training' ? training.body.model : '') as Extract<LineageNode, { origin: 'training' }>
    assert.deepEqual([lineage.origin, lineage.privacy], ['training', account()])
    assert.match(formatLineage(lineage)[0] as string, new RegExp(`; dp-sgd: noise multiplier 1\\.1, clip norm 1, sampling rate 0\\.01, epsilon ${account().epsilon} spent in all after ${4 * steps} steps \\(delta 0\\.00001\\)$`))
  })
})
