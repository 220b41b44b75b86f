import assert from 'node:assert/strict'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  VERIFYING_KEYS_KEPT, ValidationError, decodeAnnouncement, encodeAnnouncement, peerIdOfKey, signAnnouncement, signBytes, verifyBytes
} from '../../../src/protocol/index.ts'
import { announcementFields, testKey as key } from './fixtures.ts'

const message = new TextEncoder().encode('meshtrain/test\nround 7')

describe('signature: cached node:crypto keys', () => {
  it('signs the same bytes as the libp2p key itself, on every call', async () => {
    const k = await key(3)
    const expected = await k.sign(message)
    assert.deepEqual(new Uint8Array(await signBytes(k, message)), new Uint8Array(expected))
    assert.deepEqual(new Uint8Array(await signBytes(k, message)), new Uint8Array(expected))
    assert.equal(peerIdOfKey(k), peerIdFromPrivateKey(k).toString())
  })

  it('accepts a good signature and refuses a bad one, before and after the key is cached', async () => {
    const k = await key(4)
    const signature = await signBytes(k, message)
    for (let pass = 0; pass < 2; pass++) {
      assert.equal(await verifyBytes(k.publicKey, message, signature), true)
      const flipped = Uint8Array.from(signature)
      flipped[10] = (flipped[10] as number) ^ 1
      assert.equal(await verifyBytes(k.publicKey, message, flipped), false)
      const changed = Uint8Array.from(message)
      changed[0] = (changed[0] as number) ^ 1
      assert.equal(await verifyBytes(k.publicKey, changed, signature), false)
    }
  })

  it('refuses a signature under another key, whichever key was cached first', async () => {
    const a = await key(5)
    const b = await key(6)
    const byA = await signBytes(a, message)
    const byB = await signBytes(b, message)
    assert.equal(await verifyBytes(b.publicKey, message, byA), false)
    assert.equal(await verifyBytes(a.publicKey, message, byB), false)
    assert.equal(await verifyBytes(a.publicKey, message, byA), true)
    assert.equal(await verifyBytes(b.publicKey, message, byB), true)
  })

  it('refuses, without throwing, signatures of the wrong length', async () => {
    const k = await key(7)
    const signature = await signBytes(k, message)
    for (const bad of [new Uint8Array(0), signature.subarray(0, 63), Uint8Array.from([...signature, 0])]) {
      assert.equal(await verifyBytes(k.publicKey, message, bad), false)
    }
  })

  it('still tells good from bad after the cache forgot the key', async () => {
    const first = await key(8)
    const signature = await signBytes(first, message)
    assert.equal(await verifyBytes(first.publicKey, message, signature), true)
    const seed = new Uint8Array(32)
    for (let i = 0; i < VERIFYING_KEYS_KEPT; i++) {
      new DataView(seed.buffer).setUint32(0, i + 1)
      const other = await generateKeyPairFromSeed('Ed25519', seed)
      assert.equal(await verifyBytes(other.publicKey, message, signature), false)
    }
    assert.equal(await verifyBytes(first.publicKey, message, signature), true)
    assert.equal(await verifyBytes((await key(9)).publicKey, message, signature), false)
  })

  it('signs and verifies with a key of another type through the key itself', async () => {
    const k = await generateKeyPair('secp256k1')
    const signature = await signBytes(k, message)
    assert.equal(await verifyBytes(k.publicKey, message, signature), true)
    assert.equal(await verifyBytes(k.publicKey, message, signature.subarray(1)), false)
    assert.equal(await verifyBytes((await key(10)).publicKey, message, signature), false)
  })

  it('an announcement signed by one key under another peer id is refused as a bad signature', async () => {
    const a = await key(11)
    const b = await key(12)
    const signed = await signAnnouncement(announcementFields(a, 3), a)
    assert.ok(await decodeAnnouncement(encodeAnnouncement(signed)))
    const forged = { ...signed, peerId: peerIdFromPrivateKey(b).toString() }
    await assert.rejects(decodeAnnouncement(encodeAnnouncement(forged)), (err: unknown) => err instanceof ValidationError && err.code === 'bad-signature')
  })
})
