import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import assert from 'node:assert/strict'
import { ValidationError } from '../../../src/protocol/index.ts'
import type { AnnouncementFields } from '../../../src/protocol/index.ts'

/** A deterministic Ed25519 key: the same seed gives the same peer. */
export async function testKey (seed: number): Promise<Ed25519PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(seed))
}

/** Well-formed announcement fields for `key`'s peer, ready to sign. */
export function announcementFields (key: Ed25519PrivateKey, round: number): AnnouncementFields {
  return {
    networkId: 'ab'.repeat(16),
    peerId: peerIdFromPrivateKey(key).toString(),
    round,
    modelHash: 'cd'.repeat(32),
    byteLength: 4000,
    encoding: 'f32le',
    sampleCount: 640,
    loss: 0.25,
    datasetFingerprint: 'ef'.repeat(32),
    ledgerHead: ''
  }
}

/** The code of the ValidationError `fn` throws; undefined when it throws nothing (any other error fails the test). */
export function validationCodeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err))
    return err.code
  }
  return undefined
}
