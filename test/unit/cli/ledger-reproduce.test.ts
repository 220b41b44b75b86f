import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAggregator } from '../../../src/aggregation/index.ts'
import { reproduceAggregate } from '../../../src/cli/ledger-reproduce-command.ts'
import { AuditLedger } from '../../../src/ledger/index.ts'
import type { PeerInputRecord } from '../../../src/ledger/index.ts'
import { MeshtrainError } from '../../../src/errors/index.ts'
import { tempDir, testKey } from '../ledger/fixtures.ts'

describe('ledger reproduce: a round\'s aggregate recomputed from the stored inputs', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  let ledger: AuditLedger
  let inputs: string[]
  beforeEach(async () => {
    temp = await tempDir()
    ledger = await AuditLedger.open({ dataDir: temp.dir, privateKey: await testKey(1), warn: () => {} })
    // Five inputs, the own model first; nearest-neighbour mixing makes the result depend on float sums.
    const models = [0, 1, 2, 3, 4].map(i => Float32Array.from({ length: 33 }, (_, j) => Math.sin(i * 7 + j) / (i + 1)))
    const spec = { rule: 'median', f: 1, nnm: true }
    const output = createAggregator(spec).aggregate(models[0] as Float32Array, models.slice(1))
    inputs = await Promise.all(models.map(m => ledger.models.put(m)))
    const wrong = Float32Array.from(output, (w, i) => (i === 5 ? w + 1e-6 : w))
    const peer = ledger.peerIndex('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN')
    const peerInputs: PeerInputRecord[] = inputs.slice(1).map(model => ({ peer, signature: 'c2ln', model, taken: null, checkpoint: null, verdict: 'accept' as const, used: true, distance: null, cosine: null }))
    // A refused input between the used ones: not one of the rule's inputs.
    peerInputs.splice(2, 0, { ...peerInputs[0]!, model: 'ee'.repeat(32), verdict: 'hash-mismatch', used: false })
    ledger.append('aggregate', { round: 4, own: inputs[0]!, inputs: peerInputs, rule: 'median', options: { f: 1, nnm: true }, output: await ledger.models.put(output), ms: 1 })
    ledger.append('aggregate', { round: 5, own: inputs[0]!, inputs: peerInputs, rule: 'median', options: { f: 1, nnm: true }, output: await ledger.models.put(wrong), ms: 1 })
    await ledger.commit()
  })
  afterEach(async () => {
    await ledger.close()
    await temp.remove()
  })

  it('matches bit for bit with the recorded rule and input order, and names a differing output', async () => {
    const entries = ledger.entries.map(e => e.entry)
    const good = await reproduceAggregate(entries, ledger.models, 4)
    assert.equal(good.match, true)
    assert.equal(good.maxDifference, 0)
    assert.equal(good.inputs, 5)
    const bad = await reproduceAggregate(entries, ledger.models, 5)
    assert.equal(bad.match, false)
    assert.ok(bad.maxDifference !== null && bad.maxDifference > 0 && bad.maxDifference < 1e-5, String(bad.maxDifference))
    await assert.rejects(reproduceAggregate(entries, ledger.models, 6), (err: unknown) => err instanceof MeshtrainError && err.exitStatus === 2 && /--round 6: no aggregate/.test(err.message))
  })

  it('refuses an input model that is missing or changed', async () => {
    const entries = ledger.entries.map(e => e.entry)
    await writeFile(join(ledger.models.dir, inputs[2] as string), Buffer.alloc(33 * 4))
    await assert.rejects(reproduceAggregate(entries, ledger.models, 4), (err: unknown) => err instanceof MeshtrainError && err.code === 'model-corrupt')
    await ledger.models.remove(inputs[2] as string)
    await assert.rejects(reproduceAggregate(entries, ledger.models, 4), (err: unknown) => err instanceof MeshtrainError && err.code === 'model-missing' && /input 2/.test(err.message))
  })
})
