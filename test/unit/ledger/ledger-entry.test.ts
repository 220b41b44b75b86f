import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  ENTRY_KIND_LIST, GENESIS_PREV, LedgerFormatError, decodeEntry, encodeEntry, formatCheckpoint, parseCheckpoint,
  signCheckpoint, signEntry, verifyCheckpoint, verifyEntrySignature
} from '../../../src/ledger/index.ts'
import type { EntryBody, EntryKind } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, testKey } from './fixtures.ts'

const encoder = new TextEncoder()

function refuses (bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeEntry(bytes), (err: unknown) => err instanceof LedgerFormatError && pattern.test(err.message))
}

/** A signed entry of `kind` as a plain JSON object, to be tampered with. */
async function signed (kind: EntryKind): Promise<{ body: Record<string, unknown> } & Record<string, unknown>> {
  const body = SAMPLE_BODIES[kind] as EntryBody<'training'>
  const entry = await signEntry({ seq: 0, prev: GENESIS_PREV, time: 1_700_000_000_000, kind: kind as 'training', body }, await testKey(1))
  return JSON.parse(new TextDecoder().decode(encodeEntry(entry)))
}

describe('ledger: entries and checkpoints', () => {
  it('round-trips and verifies every entry kind', async () => {
    const key = await testKey(1)
    for (const [seq, kind] of ENTRY_KIND_LIST.entries()) {
      const entry = await signEntry({ seq, prev: GENESIS_PREV, time: 1_700_000_000_000 + seq, kind, body: SAMPLE_BODIES[kind] }, key)
      const bytes = encodeEntry(entry)
      const decoded = decodeEntry(bytes)
      assert.deepEqual(decoded, entry, kind)
      assert.ok(await verifyEntrySignature(decoded, key.publicKey), kind)
      assert.ok(!await verifyEntrySignature(decoded, (await testKey(2)).publicKey), `${kind} verified with another key`)
    }
    assert.equal(ENTRY_KIND_LIST.length, 8)
  })

  it('refuses a field of the wrong type, a missing or extra field, an unknown kind or version, and non-canonical bytes', async () => {
    const good = await signed('training')
    const bytes = (o: unknown): Uint8Array => encoder.encode(JSON.stringify(o))
    refuses(bytes({ ...good, body: { ...good.body, steps: -1 } }), /bad body\.steps/)
    refuses(bytes({ ...good, body: { ...good.body, loss: 'x' } }), /bad body\.loss/)
    refuses(bytes({ ...good, body: { ...good.body, model: 'AB'.repeat(32) } }), /bad body\.model/)
    const { backend: _, ...missing } = good.body
    refuses(bytes({ ...good, body: missing }), /training body has fields/)
    refuses(bytes({ ...good, body: { ...good.body, extra: 1 } }), /training body has fields/)
    refuses(bytes({ ...good, extra: 1 }), /entry has fields/)
    refuses(bytes({ ...good, kind: 'payment' }), /unknown entry kind "payment"/)
    refuses(bytes({ ...good, v: 2 }), /entry version 2/)
    refuses(bytes({ ...good, seq: 1.5 }), /bad seq/)
    refuses(bytes({ ...good, body: { ...good.body, round: 2 ** 53 } }), /bad body\.round/)
    refuses(encoder.encode(JSON.stringify(good, null, 1)), /canonical/)
    refuses(encoder.encode('[1]'), /not a JSON object/)
    refuses(new Uint8Array([0xff, 0xfe]), /not UTF-8 JSON/)
    refuses(new Uint8Array(256 * 1024 + 1), /at most/)
    const peerInput = await signed('peer-input')
    refuses(bytes({ ...peerInput, body: { ...peerInput.body, verdict: 'maybe' } }), /bad body\.verdict/)
    refuses(bytes({ ...peerInput, body: { ...peerInput.body, checkpoint: '12:zz:1:c2ln' } }), /bad body\.checkpoint/)
  })

  it('signs a checkpoint for one peer, keeps it through its text form, and refuses it for another', async () => {
    const key = await testKey(1)
    const peer = peerIdFromPrivateKey(key).toString()
    const checkpoint = await signCheckpoint(peer, { size: 12, root: 'ab'.repeat(32), time: 1_700_000_000_000 }, key)
    const text = formatCheckpoint(checkpoint)
    assert.ok(text.length <= 200, `${text.length} characters`)
    assert.deepEqual(parseCheckpoint(text), checkpoint)
    assert.ok(await verifyCheckpoint(peer, parseCheckpoint(text), key.publicKey))
    assert.ok(!await verifyCheckpoint(peer, { ...checkpoint, size: 13 }, key.publicKey))
    const other = peerIdFromPrivateKey(await testKey(2)).toString()
    assert.ok(!await verifyCheckpoint(other, checkpoint, key.publicKey))
    assert.throws(() => parseCheckpoint('12:ab:1:x'), LedgerFormatError)
    assert.throws(() => parseCheckpoint(`99999999999999999:${'ab'.repeat(32)}:1:c2ln`), LedgerFormatError)
  })
})
