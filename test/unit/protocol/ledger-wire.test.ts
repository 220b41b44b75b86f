import assert from 'node:assert/strict'
import {
  MAX_LEDGER_ENTRIES_PER_ANSWER, MAX_LEDGER_PROOF_HASHES, MAX_LEDGER_REQUEST_BYTES, MAX_LEDGER_RESPONSE_BYTES, decodeLedgerRequest,
  decodeLedgerResponse, encodeLedgerRequest, encodeLedgerResponse, ledgerProtocol
} from '../../../src/protocol/index.ts'
import { validationCodeOf } from './fixtures.ts'
import type { LedgerRequest } from '../../../src/protocol/index.ts'

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))

const code = validationCodeOf

describe('ledger wire', () => {
  it('names its protocol under the network id', () => {
    assert.equal(ledgerProtocol('ab'.repeat(16)), `/meshtrain/${'ab'.repeat(16)}/ledger/1.0.0`)
  })

  it('every request round-trips, and each has exactly its fields, whole numbers >= 0', () => {
    const requests: LedgerRequest[] = [
      { get: 'checkpoint' }, { get: 'consistency', from: 3, to: 9 }, { get: 'inclusion', index: 0, size: 1 }, { get: 'entries', from: 5, count: 64 }
    ]
    for (const r of requests) assert.deepEqual(decodeLedgerRequest(encodeLedgerRequest(r)), r)
    for (const bad of [
      {}, { get: 'everything' }, { get: 'checkpoint', from: 1 }, { get: 'consistency', from: 1 }, { get: 'consistency', from: -1, to: 2 },
      { get: 'consistency', from: 1.5, to: 2 }, { get: 'entries', from: '1', count: 2 }, { get: 'inclusion', index: 1, size: 2, extra: 0 },
      [], null, 'checkpoint', { get: 'entries', from: 2 ** 53, count: 1 }
    ]) {
      assert.equal(code(() => decodeLedgerRequest(bytes(bad))), 'malformed', JSON.stringify(bad))
    }
    assert.equal(code(() => decodeLedgerRequest(bytes('{"get":'))), 'malformed')
    assert.equal(code(() => decodeLedgerRequest(new Uint8Array([0xff, 0xfe]))), 'malformed')
    assert.equal(code(() => decodeLedgerRequest(new Uint8Array(MAX_LEDGER_REQUEST_BYTES + 1))), 'too-large')
  })

  it('an answer must have the shape its request allows', () => {
    const hash = 'ab'.repeat(32)
    const consistency: LedgerRequest = { get: 'consistency', from: 1, to: 2 }
    assert.deepEqual(decodeLedgerResponse(encodeLedgerResponse({ proof: [hash] }), consistency), { proof: [hash] })
    assert.deepEqual(decodeLedgerResponse(encodeLedgerResponse({ error: 'out-of-range' }), consistency), { error: 'out-of-range' })
    assert.deepEqual(decodeLedgerResponse(encodeLedgerResponse({ checkpoint: '' }), { get: 'checkpoint' }), { checkpoint: '' })
    const entries: LedgerRequest = { get: 'entries', from: 0, count: 2 }
    assert.deepEqual(decodeLedgerResponse(encodeLedgerResponse({ entries: ['AAEC', 'AwQ='] }), entries), { entries: ['AAEC', 'AwQ='] })
    for (const [bad, request] of [
      [{ proof: [hash.toUpperCase()] }, consistency],
      [{ proof: ['ab'] }, consistency],
      [{ proof: Array.from({ length: MAX_LEDGER_PROOF_HASHES + 1 }, () => hash) }, consistency],
      [{ entries: ['AAEC'] }, consistency],
      [{ proof: [] , extra: 1 }, consistency],
      [{ error: 'busy' }, consistency],
      [{ checkpoint: 'not a checkpoint' }, { get: 'checkpoint' }],
      [{ entries: ['AAEC', 'AwQ=', 'BQ=='] }, entries],
      [{ entries: ['not base64!'] }, entries],
      [{ entries: [''] }, entries]
    ] as Array<[unknown, LedgerRequest]>) {
      assert.equal(code(() => decodeLedgerResponse(bytes(bad), request)), 'malformed', JSON.stringify(bad).slice(0, 80))
    }
    assert.equal(code(() => decodeLedgerResponse(new Uint8Array(MAX_LEDGER_RESPONSE_BYTES + 1), consistency)), 'too-large')
    assert.ok(MAX_LEDGER_ENTRIES_PER_ANSWER >= 16)
  })
})
