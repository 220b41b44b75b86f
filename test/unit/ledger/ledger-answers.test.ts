import assert from 'node:assert/strict'
import { AuditLedger, answerLedgerRequest, decodeEntry, inclusionProof, verifyConsistency, verifyInclusion } from '../../../src/ledger/index.ts'
import type { LedgerCheckpoint } from '../../../src/ledger/index.ts'
import { MAX_LEDGER_ENTRIES_PER_ANSWER } from '../../../src/protocol/index.ts'
import { SAMPLE_BODIES, recordRounds, tempDir, testKey } from './fixtures.ts'

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))

describe('answering peers\' ledger requests', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>
  let ledger: AuditLedger
  beforeEach(async () => {
    temp = await tempDir()
    ledger = await AuditLedger.open({ dataDir: temp.dir, privateKey: await testKey(1), warn: () => {} })
  })
  afterEach(async () => {
    await ledger.close()
    await temp.remove()
  })

  it('serves the checkpoint, and proofs that verify against the checkpoints the node signed', async () => {
    assert.deepEqual(answerLedgerRequest(ledger, { get: 'checkpoint' }), { checkpoint: '' })
    await recordRounds(ledger, 1)
    const first = ledger.checkpoint as LedgerCheckpoint
    await recordRounds(ledger, 2)
    const second = ledger.checkpoint as LedgerCheckpoint
    const answer = answerLedgerRequest(ledger, { get: 'consistency', from: first.size, to: second.size })
    assert.ok('proof' in answer)
    assert.ok(verifyConsistency(first.size, second.size, fromHex(first.root), fromHex(second.root), answer.proof.map(fromHex)))
    const inclusion = answerLedgerRequest(ledger, { get: 'inclusion', index: 3, size: second.size })
    assert.ok('proof' in inclusion)
    assert.ok(verifyInclusion(ledger.entries[3]!.hash, 3, second.size, inclusion.proof.map(fromHex), fromHex(second.root)))
    assert.deepEqual(inclusion.proof, inclusionProof(ledger.entries.map(e => e.hash), 3, second.size).map(h => Buffer.from(h).toString('hex')))
  })

  it('entries come back as their exact bytes, at most a bounded number per answer', async () => {
    await recordRounds(ledger, 12)
    const answer = answerLedgerRequest(ledger, { get: 'entries', from: 2, count: 1000 })
    assert.ok('entries' in answer)
    assert.equal(answer.entries.length, Math.min(MAX_LEDGER_ENTRIES_PER_ANSWER, ledger.size - 2))
    assert.deepEqual(Buffer.from(answer.entries[0]!, 'base64'), Buffer.from(ledger.entries[2]!.bytes))
    assert.equal(decodeEntry(Buffer.from(answer.entries[0]!, 'base64')).seq, 2)
  })

  it('nothing past the last checkpoint is served (a crash may still roll it back), nor a range beyond the log', async () => {
    await recordRounds(ledger, 1)
    const committed = ledger.size
    ledger.append('evaluation', SAMPLE_BODIES.evaluation)
    assert.equal(ledger.size, committed + 1)
    for (const request of [
      { get: 'consistency', from: 1, to: committed + 1 }, { get: 'consistency', from: 3, to: 2 }, { get: 'inclusion', index: committed, size: committed + 1 },
      { get: 'inclusion', index: 2, size: 2 }, { get: 'entries', from: committed, count: 1 }, { get: 'entries', from: 0, count: 0 }
    ] as const) {
      assert.deepEqual(answerLedgerRequest(ledger, request), { error: 'out-of-range' }, JSON.stringify(request))
    }
    const entries = answerLedgerRequest(ledger, { get: 'entries', from: committed - 1, count: 5 })
    assert.ok('entries' in entries && entries.entries.length === 1)
  })
})
