import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  ENTRY_KIND_LIST, EntryWriter, GENESIS_PREV, LedgerFormatError, decodeEntry, encodeEntry, entryHash, formatCheckpoint, parseCheckpoint,
  signCheckpoint, verifyCheckpoint
} from '../../../src/ledger/index.ts'
import type { AnyLedgerEntry, EntryBody, EntryKind } from '../../../src/ledger/index.ts'
import { computeEpsilon } from '../../../src/privacy/index.ts'
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
    assert.equal(ENTRY_KIND_LIST.length, 9)
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

  it('encodes the privacy entry\'s test vector exactly as docs/wire.md §10.1 says', () => {
    const epsilon = computeEpsilon({ samplingRate: 0.25, noiseMultiplier: 1, steps: 30 }, 1e-5).epsilon
    assert.equal(epsilon, 11.27691690247073)
    const body = { round: 2, mechanism: 'dp-sgd', noiseMultiplier: 1, clipNorm: 0.5, samplingRate: 0.25, steps: 10, stepsSpent: 30, delta: 1e-5, epsilon } as const
    const bytes = encodeEntry(entryOf('privacy', body, 3))
    assert.equal(hex(bytes), [
      '02', '07', Buffer.from('privacy').toString('hex'), '03', '00'.repeat(32), '83d095ffbc31', // envelope: version, kind, seq 3, prev, time
      '02', // round 2
      '06', Buffer.from('dp-sgd').toString('hex'), // mechanism
      '000000000000f03f', // noiseMultiplier 1
      '000000000000e03f', // clipNorm 0.5
      '000000000000d03f', // samplingRate 0.25
      '0a', // steps 10
      '1e', // stepsSpent 30
      'f168e388b5f8e43e', // delta 1e-5
      '8fa45f0dc88d2640' // epsilon 11.27691690247073
    ].join(''))
    assert.equal(bytes.byteLength, 98)
    assert.deepEqual(decodeEntry(bytes), entryOf('privacy', body, 3))
  })

  it('refuses a privacy entry with a value outside its range, naming the field, and will not write one', () => {
    const good = SAMPLE_BODIES.privacy
    /** The privacy entry's bytes with `body`'s values written as they are, unchecked. */
    const raw = (body: Record<string, number | string>): Uint8Array => {
      const w = new EntryWriter()
      w.uint(2)
      w.string('privacy')
      w.uint(0)
      w.fixed(new Uint8Array(32))
      w.uint(1_700_000_000_000)
      w.uint(body.round as number)
      w.string(body.mechanism as string)
      for (const name of ['noiseMultiplier', 'clipNorm', 'samplingRate']) w.f64(body[name] as number)
      w.uint(body.steps as number)
      w.uint(body.stepsSpent as number)
      w.f64(body.delta as number)
      w.f64(body.epsilon as number)
      return w.finish()
    }
    assert.deepEqual(decodeEntry(raw(good)), entryOf('privacy', good))
    const bad: Array<[Record<string, number | string>, RegExp]> = [
      [{ mechanism: 'off' }, /body\.mechanism: "off" is not one of dp-sgd, update-clip/],
      [{ noiseMultiplier: 0 }, /body\.noiseMultiplier: 0 is not above 0/],
      [{ noiseMultiplier: -1.1 }, /body\.noiseMultiplier: -1\.1 is not above 0/],
      [{ clipNorm: 0 }, /body\.clipNorm: 0 is not above 0/],
      [{ samplingRate: 0 }, /body\.samplingRate: 0 is not above 0 and at most 1/],
      [{ samplingRate: 1.5 }, /body\.samplingRate: 1\.5 is not above 0 and at most 1/],
      [{ steps: 0 }, /body\.steps: 0 is not above 0/],
      [{ stepsSpent: 0 }, /body\.stepsSpent: 0 is not above 0/],
      [{ delta: 1 }, /body\.delta: 1 is not above 0 and below 1/],
      [{ delta: 0 }, /body\.delta: 0 is not above 0 and below 1/],
      [{ epsilon: -0.5 }, /body\.epsilon: -0\.5 is not 0 or above/]
    ]
    for (const [change, pattern] of bad) {
      refuses(raw({ ...good, ...change }), pattern)
      const [name] = Object.keys(change)
      assert.throws(() => encodeEntry(entryOf('privacy', { ...good, ...change } as unknown as EntryBody<'privacy'>)), new RegExp(`bad body\\.${name}`))
    }
    // An update-clip round at sampling rate 1: in range.
    assert.deepEqual(decodeEntry(raw({ ...good, mechanism: 'update-clip', samplingRate: 1, steps: 1 })).body, { ...good, mechanism: 'update-clip', samplingRate: 1, steps: 1 })
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
