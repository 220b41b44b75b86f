/**
 * Signing and verifying with libp2p keys, with each Ed25519 key turned into a node:crypto
 * KeyObject once instead of at every call: `@libp2p/crypto`'s Ed25519 keys rebuild one from a
 * JWK on every sign and verify, which cost more than the signature itself (a signing key) and
 * about a third of a verification. The signatures are the same bytes (Ed25519 is deterministic)
 * and a verification gives the same verdict as the key's own `sign` and `verify`; other key
 * types go to the key's own methods.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** An Ed25519 signature's length, bytes (RFC 8032 §5.1.6). */
const ED25519_SIGNATURE_BYTES = 64
/**
 * Public keys whose KeyObject is kept: every peer of the 1,000-peer simulation (one process)
 * twice over; the least recently used is forgotten first. A KeyObject is a few hundred bytes.
 */
export const VERIFYING_KEYS_KEPT = 2048

/** What a node's own key signs with: its peer id and, for Ed25519, its KeyObject. */
interface Signer { readonly peerId: string, readonly keyObject: KeyObject | undefined }

/** By key object: a node signs with one PrivateKey object for its whole run. */
const signers = new WeakMap<PrivateKey, Signer>()
/** Ed25519 public keys' KeyObjects by the key's raw bytes (base64), least recently used first. */
const verifyingKeys = new Map<string, KeyObject>()

function signerOf (privateKey: PrivateKey): Signer {
  let signer = signers.get(privateKey)
  if (signer === undefined) {
    const keyObject = privateKey.type === 'Ed25519'
      ? createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: base64url(privateKey.raw.subarray(0, 32)), x: base64url(privateKey.publicKey.raw) } })
      : undefined
    signer = { peerId: peerIdFromPrivateKey(privateKey).toString(), keyObject }
    signers.set(privateKey, signer)
  }
  return signer
}

/** The peer id of a private key (remembered per key object). */
export function peerIdOfKey (privateKey: PrivateKey): string {
  return signerOf(privateKey).peerId
}

/** `privateKey`'s signature of `bytes`: the bytes `privateKey.sign(bytes)` gives. */
export async function signBytes (privateKey: PrivateKey, bytes: Uint8Array): Promise<Uint8Array> {
  const { keyObject } = signerOf(privateKey)
  return keyObject === undefined ? await privateKey.sign(bytes) : sign(null, bytes, keyObject)
}

/**
 * Whether `signature` is `publicKey`'s signature of `bytes`, as `publicKey.verify` decides;
 * false, never an exception, for a signature of the wrong length or form.
 */
export async function verifyBytes (publicKey: PublicKey, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    if (publicKey.type !== 'Ed25519') return await publicKey.verify(bytes, signature)
    return signature.byteLength === ED25519_SIGNATURE_BYTES && verify(null, bytes, verifyingKeyOf(publicKey.raw), signature)
  } catch {
    // Some key types throw on a signature of the wrong length or form instead of returning false.
    return false
  }
}

function verifyingKeyOf (raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
  let keyObject = verifyingKeys.get(id)
  if (keyObject === undefined) {
    keyObject = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: base64url(raw) } })
    if (verifyingKeys.size >= VERIFYING_KEYS_KEPT) verifyingKeys.delete(verifyingKeys.keys().next().value as string)
  } else {
    verifyingKeys.delete(id)
  }
  verifyingKeys.set(id, keyObject)
  return keyObject
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
