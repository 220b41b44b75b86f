import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  ENTRY_KIND_LIST, GENESIS_PREV, LedgerFormatError, decodeEntry, encodeEntry, entryHash, formatCheckpoint, parseCheckpoint,
  signCheckpoint, verifyCheckpoint
} from '../../../src/ledger/index.ts'
import type { AnyLedgerEntry, EntryBody, EntryKind } from '../../../src/ledger/index.ts'
import { SAMPLE_BODIES, testKey } from './fixtures.ts'

function refuses (bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeEntry(bytes), (err: unknown) => err instanceof LedgerFormatError && pattern.test(err.message), `expected ${pattern}`)
}

const entryOf = <K extends EntryKind>(kind: K, body: EntryBody<K>, seq = 0): AnyLedgerEntry =>
  ({ v: 2, seq, prev: GENESIS_PREV, time: 1_700_000_000_000 + seq, kind, body }) as unknown as AnyLedgerEntry

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('ledger: entries (format 2) and checkpoints', () => {
  it('round-trips every entry kind, bytes and value', () => {
    for (const [seq, kind] of ENTRY_KIND_LIST.entries()) {
      const entry = entryOf(kind, SAMPLE_BODIES[kind] as EntryBody<'training'>, seq)
      const bytes = encodeEntry(entry)
      const decoded = decodeEntry(bytes)
      assert.deepEqual(decoded, entry, kind)
      assert.deepEqual(encodeEntry(decoded), bytes, kind)
    }
    assert.equal(ENTRY_KIND_LIST.length, 8)
  })

  it('encodes a test vector exactly as docs/wire.md §10.1 says', () => {
    const bytes = encodeEntry(entryOf('evaluation', { round: 300, model: 'ab'.repeat(32), accuracy: 0.5, loss: null, examples: 1000 }, 1))
    assert.equal(hex(bytes), [
      '02', // version 2
      '0a', Buffer.from('evaluation').toString('hex'), // kind: length 10, UTF-8
      '01', // seq 1
      '00'.repeat(32), // prev
      '81d095ffbc31', // time 1,700,000,000,001 as LEB128
      'ac02', // round 300
      'ab'.repeat(32), // model
      '01', '000000000000e03f', // accuracy: present, 0.5 as float64 little-endian
      '00', // loss: null
      'e807' // examples 1000
    ].join(''))
    assert.equal(bytes.byteLength, 1 + 11 + 1 + 32 + 6 + 2 + 32 + 9 + 1 + 2)
    // Its hash, SHA-256(0x00 || bytes): the value the next entry's prev and the Merkle tree take.
    assert.equal(hex(entryHash(bytes)), createHash('sha256').update(Buffer.concat([Buffer.from([0]), bytes])).digest('hex'))
  })

  it('refuses bytes that are not the one encoding of a well-formed entry, naming the field', () => {
    const good = encodeEntry(entryOf('evaluation', SAMPLE_BODIES.evaluation))
    const at = (i: number, value: number): Uint8Array => { const b = Uint8Array.from(good); b[i] = value; return b }
    refuses(at(0, 3), /entry version 3, this reader speaks 2/)
    refuses(new TextEncoder().encode('{"v":1}'), /format 1 \(JSON\).*format 2 only/)
    refuses(Uint8Array.from([2, 7, ...new TextEncoder().encode('payment'), 0]), /unknown entry kind "payment"/)
    refuses(good.subarray(0, good.byteLength - 1), /body\.examples: the entry ends 1 bytes short/)
    refuses(Uint8Array.from([...good, 0]), /1 bytes after the last field/)
    // seq 0 written in two bytes (0x80 0x00) instead of one.
    refuses(Uint8Array.from([...good.subarray(0, 12), 0x80, 0x00, ...good.subarray(13)]), /seq: integer not in its shortest form/)
    // The accuracy's presence flag (after version, kind, seq, prev, time, round and model) as 2.
    const flag = 1 + 11 + 1 + 32 + 6 + 1 + 32
    assert.equal(good[flag], 1)
    refuses(at(flag, 2), /body\.accuracy: flag byte 2/)
    // The accuracy as NaN.
    const nan = Uint8Array.from(good)
    new DataView(nan.buffer).setFloat64(flag + 1, Number.NaN, true)
    refuses(nan, /body\.accuracy: not a finite number/)
    const aggregate = encodeEntry(entryOf('aggregate', SAMPLE_BODIES.aggregate))
    const verdict = Buffer.from(aggregate).indexOf(Buffer.from('\x06accept'))
    refuses(Uint8Array.from([...aggregate.subarray(0, verdict), 6, ...new TextEncoder().encode('maybe!'), ...aggregate.subarray(verdict + 7)]), /body\.inputs\[0\]\.verdict: "maybe!" is not a verdict/)
    const options = Buffer.from(aggregate).indexOf(Buffer.from('{"f":1,"nnm":true}'))
    const spaced = Buffer.from('{"nnm":true,"f":1}')
    refuses(Uint8Array.from([...aggregate.subarray(0, options), ...spaced, ...aggregate.subarray(options + spaced.byteLength)]), /body\.options: not canonical JSON/)
    refuses(new Uint8Array(256 * 1024 + 1), /at most/)
  })

  it('refuses to encode a value outside its field type', () => {
    assert.throws(() => encodeEntry(entryOf('training', { ...SAMPLE_BODIES.training, steps: -1 })), /bad body\.steps/)
    assert.throws(() => encodeEntry(entryOf('training', { ...SAMPLE_BODIES.training, model: 'AB'.repeat(32) })), /bad body\.model/)
    const { backend: _, ...missing } = SAMPLE_BODIES.training
    assert.throws(() => encodeEntry(entryOf('training', missing as EntryBody<'training'>)), /bad body/)
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
