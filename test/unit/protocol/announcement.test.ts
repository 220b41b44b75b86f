import assert from 'node:assert/strict'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  MAX_ANNOUNCEMENT_BYTES, MAX_LEDGER_HEAD_LENGTH, ValidationError, decodeAnnouncement, decodeModelPayload, encodeAnnouncement,
  encodeModelPayload, payloadHash, signAnnouncement
} from '../../../src/protocol/index.ts'
import type { AnnouncementFields } from '../../../src/protocol/index.ts'
import { announcementFields, testKey as key } from './fixtures.ts'

async function fields (seed = 1): Promise<AnnouncementFields> {
  return announcementFields(await key(seed), 7)
}

async function rejects (bytes: Uint8Array, code: string): Promise<void> {
  await assert.rejects(decodeAnnouncement(bytes), (err: unknown) => err instanceof ValidationError && err.code === code)
}

function json (value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

describe('announcement codec', () => {
  it('round-trips a signed announcement', async () => {
    const signed = await signAnnouncement(await fields(), await key(1))
    const bytes = encodeAnnouncement(signed)
    assert.ok(bytes.byteLength < MAX_ANNOUNCEMENT_BYTES)
    assert.deepEqual(await decodeAnnouncement(bytes), signed)
  })

  it('refuses to sign for another peer', async () => {
    await assert.rejects(signAnnouncement(await fields(2), await key(1)))
  })

  it('rejects a truncated announcement as malformed', async () => {
    const bytes = encodeAnnouncement(await signAnnouncement(await fields(), await key(1)))
    for (const cut of [0, 1, 10, bytes.byteLength - 1]) await rejects(bytes.subarray(0, cut), 'malformed')
  })

  it('rejects an oversized announcement before decoding it', async () => {
    await rejects(new Uint8Array(MAX_ANNOUNCEMENT_BYTES + 1).fill(0x20), 'too-large')
  })

  it('rejects wrong shapes: missing, extra and mistyped fields', async () => {
    const signed = await signAnnouncement(await fields(), await key(1))
    const { loss: _loss, ...missing } = signed
    await rejects(json(missing), 'malformed')
    await rejects(json({ ...signed, extra: 1 }), 'malformed')
    await rejects(json({ ...signed, round: -1 }), 'malformed')
    await rejects(json({ ...signed, round: 1.5 }), 'malformed')
    await rejects(json({ ...signed, byteLength: 0 }), 'malformed')
    await rejects(json({ ...signed, encoding: 'f8le' }), 'malformed')
    await rejects(json({ ...signed, modelHash: 'xyz' }), 'malformed')
    await rejects(json([signed]), 'malformed')
    await rejects(json(null), 'malformed')
    await rejects(json({ ...signed, version: 2 }), 'unknown-version')
  })

  it('rejects a non-finite loss (JSON cannot carry NaN, so it arrives as null or a string)', async () => {
    const signed = await signAnnouncement(await fields(), await key(1))
    await rejects(json({ ...signed, loss: null }), 'malformed')
    await rejects(new TextEncoder().encode(JSON.stringify(signed).replace('"loss":0.25', '"loss":1e999')), 'malformed')
  })

  it('carries a private sender\'s privacy spent, signed, within the size limit at the longest ledger head', async () => {
    // The longest epsilon, delta and sigma a double prints as, and a ledger head at its length limit.
    const privacy = { epsilon: 3.9999999999999996e-100, delta: 1.0000000000000001e-100, noiseMultiplier: 0.7761826943024062 }
    const longHead = `${'9'.repeat(16)}:${'a'.repeat(64)}:${'9'.repeat(16)}:${'A'.repeat(MAX_LEDGER_HEAD_LENGTH - 16 - 64 - 16 - 3)}`
    const signed = await signAnnouncement({ ...await fields(), ledgerHead: longHead, privacy }, await key(1))
    const bytes = encodeAnnouncement(signed)
    assert.ok(bytes.byteLength <= MAX_ANNOUNCEMENT_BYTES, `${bytes.byteLength} bytes`)
    assert.deepEqual(await decodeAnnouncement(bytes), signed)
    await rejects(json({ ...signed, privacy: { ...privacy, epsilon: 5 } }), 'bad-signature')
    const { privacy: _privacy, ...without } = signed
    await rejects(json(without), 'bad-signature')
    for (const bad of [null, [], {}, { ...privacy, epsilon: -1 }, { ...privacy, delta: 1 }, { ...privacy, delta: 0 }, { ...privacy, noiseMultiplier: 0 }, { ...privacy, extra: 1 }, { epsilon: 1, delta: 1e-5 }, { ...privacy, epsilon: '1' }]) {
      await rejects(json({ ...signed, privacy: bad }), 'malformed')
    }
  })

  it('rejects any change to a signed field as a bad signature', async () => {
    const signed = await signAnnouncement(await fields(), await key(1))
    await rejects(json({ ...signed, round: 8 }), 'bad-signature')
    await rejects(json({ ...signed, peerId: peerIdFromPrivateKey(await key(2)).toString() }), 'bad-signature')
  })
})

describe('model payload codec', () => {
  const weights = new Float32Array([0.5, -1.25, 3, 0])

  it('round-trips weights and checks the hash', () => {
    const payload = encodeModelPayload(weights)
    assert.deepEqual(decodeModelPayload(payload, payloadHash(payload), 4), weights)
  })

  it('rejects a wrong size, a wrong hash and non-finite values', () => {
    const payload = encodeModelPayload(weights)
    assert.throws(() => decodeModelPayload(payload.subarray(0, 12), payloadHash(payload), 4), { code: 'wrong-size' })
    assert.throws(() => decodeModelPayload(payload, 'ab'.repeat(32), 4), { code: 'hash-mismatch' })
    for (const bad of [NaN, Infinity, -Infinity]) {
      const poisoned = encodeModelPayload(new Float32Array([0, bad, 0, 0]))
      assert.throws(() => decodeModelPayload(poisoned, payloadHash(poisoned), 4), { code: 'non-finite' })
    }
  })

  it('decodes a payload that sits at an odd offset of a larger buffer', () => {
    const payload = encodeModelPayload(weights)
    const buffer = new Uint8Array(payload.byteLength + 3)
    buffer.set(payload, 3)
    assert.deepEqual(decodeModelPayload(buffer.subarray(3), payloadHash(payload), 4), weights)
  })
})
