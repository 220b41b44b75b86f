import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  AuditLedger, contributionScores, contributionTotals, encodeLedgerExport, formatLineage, modelLineage, parseLedgerExport,
  LedgerFormatError
} from '../../../src/ledger/index.ts'
import type { LineageNode } from '../../../src/ledger/index.ts'
import { ROUND_PEER_SEEDS, recordRounds, tempDir, testKey } from './fixtures.ts'

describe('ledger: lineage, contributions and the export format', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  let ledger: AuditLedger
  let outputs: string[]
  beforeEach(async () => {
    temp = await tempDir()
    ledger = await AuditLedger.open({ dataDir: temp.dir, privateKey: await testKey(1), warn: () => {} })
    outputs = await recordRounds(ledger, 3)
  })
  afterEach(async () => {
    await ledger.close()
    await temp.remove()
  })

  it('scores an input by its distance to the aggregate and the cosine of their updates', () => {
    const start = new Float32Array([1, 1])
    const scores = contributionScores(new Float32Array([2, 1]), new Float32Array([1, 3]), start)
    // Updates (1, 0) and (0, 2): orthogonal; distance sqrt(1 + 4).
    assert.equal(scores.cosine, 0)
    assert.equal(scores.distance, Math.sqrt(5))
    assert.ok(Math.abs((contributionScores(new Float32Array([3, 3]), new Float32Array([2, 2]), start).cosine ?? 0) - 1) < 1e-12)
    assert.equal(contributionScores(start, new Float32Array([2, 2]), start).cosine, null)
    assert.deepEqual(contributionScores(new Float32Array(3), start, start), { distance: null, cosine: null })
  })

  it('follows a model back through aggregates, own training and peers\' inputs', () => {
    const lineage = modelLineage(ledger.entries.map(e => e.entry), outputs[2] as string)
    assert.equal(lineage.origin, 'aggregate')
    const top = lineage as Extract<LineageNode, { origin: 'aggregate' }>
    assert.equal(top.round, 2)
    assert.equal(top.inputs.length, 4)
    const own = top.inputs.find(i => i.origin === 'training') as Extract<LineageNode, { origin: 'training' }>
    assert.equal(own.seed, 1002)
    // The node's round 2 training started from round 1's aggregate, which had one input fewer (peer 13 refused).
    assert.equal(own.start.model, outputs[1])
    const round1 = own.start as Extract<LineageNode, { origin: 'aggregate' }>
    assert.equal(round1.inputs.length, 3)
    const peers = top.inputs.filter(i => i.origin === 'peer')
    assert.equal(peers.length, 3)
    assert.ok(peers.every(p => p.origin === 'peer' && p.verdict === 'accept' && p.used))
    const text = formatLineage(lineage)
    assert.match(text[0] as string, /aggregate of round 2 \(entry \d+\): median \{"f":1\} over 4 inputs/)
    assert.ok(text.some(l => /trained by this node in round 0 .* seed 1000/.test(l)))
    assert.ok(text.some(l => /not produced in this log/.test(l)), 'the initial model is named as such')
    assert.equal(text.filter(l => / aggregate of round 0 /.test(l)).length, 1, 'a model reached twice is printed once')
    const cut = modelLineage(ledger.entries.map(e => e.entry), outputs[2] as string, 1)
    assert.match(formatLineage(cut).join('\n'), /aggregate of round 1 .*raise --depth/)
    assert.equal(modelLineage([], 'ab'.repeat(32)).origin, 'unknown')
  })

  it('sums each peer\'s inputs, uses, refusals and scores over a round range', async () => {
    const entries = ledger.entries.map(e => e.entry)
    const peers = await Promise.all(ROUND_PEER_SEEDS.map(async s => peerIdFromPrivateKey(await testKey(s)).toString()))
    const all = contributionTotals(entries)
    assert.deepEqual(all.map(r => r.peer), [...peers].sort())
    const third = all.find(r => r.peer === peers[2]) as (typeof all)[number]
    assert.equal(third.inputs, 3)
    assert.equal(third.used, 2)
    assert.deepEqual(third.refused, { 'hash-mismatch': 1 })
    const first = all.find(r => r.peer === peers[0]) as (typeof all)[number]
    assert.equal(first.used, 3)
    assert.ok(first.cosineSum > 2.9 && first.cosineSum <= 3 + 1e-9, `cosine sum ${first.cosineSum}`)
    // The peer that pulls the other way has a negative cosine with where the median went, or zero.
    assert.ok(third.cosineSum < first.cosineSum)
    const round1 = contributionTotals(entries, 1, 1)
    assert.ok(round1.every(r => r.inputs === 1))
    assert.deepEqual(contributionTotals(entries, 5, 9), [])
  })

  it('writes an export whose lines are the entries\' bytes, and reads it back', () => {
    const exported = { peerId: ledger.peerId, checkpoint: ledger.checkpoint!, records: ledger.entries.map(e => e.bytes) }
    const bytes = encodeLedgerExport(exported)
    const back = parseLedgerExport(bytes)
    assert.deepEqual(back.checkpoint, exported.checkpoint)
    assert.equal(back.peerId, exported.peerId)
    assert.deepEqual(back.records.map(r => Buffer.from(r).toString()), exported.records.map(r => Buffer.from(r).toString()))
    assert.throws(() => parseLedgerExport(bytes.subarray(0, bytes.byteLength - 10)), (err: unknown) => err instanceof LedgerFormatError && /truncated/.test(err.message))
    assert.throws(() => parseLedgerExport(new TextEncoder().encode('{"format":"x"}\n')), LedgerFormatError)
  })
})
