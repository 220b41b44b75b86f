import { createHash } from 'node:crypto'
import { ValidationError } from './validation-error.ts'

/** Size of a payload parameter on the wire, bytes: one little-endian float32 (`f32le`). */
export const BYTES_PER_PARAMETER = 4

/** Size of a SHA-256 digest, bytes. */
export const SHA256_BYTES = 32

/** What a SHA-256 in hex looks like: 64 (2 × {@link SHA256_BYTES}) lower-case hex characters. */
export const SHA256_HEX_PATTERN = new RegExp(`^[0-9a-f]{${2 * SHA256_BYTES}}$`)

/** SHA-256 of a payload, hex: the name a model is announced and fetched by. */
export function payloadHash (payload: Uint8Array): string {
  return createHash('sha256').update(payload).digest('hex')
}

/** Model parameters as wire bytes: little-endian float32 (the byte order of every platform Node runs on). */
export function encodeModelPayload (weights: Float32Array): Uint8Array {
  return new Uint8Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength))
}

/**
 * The same bytes as {@link encodeModelPayload}, as a view of the parameters' own memory: no copy,
 * for hashing a model or writing it to a file, while the parameters stay unchanged. A daemon
 * hashes and stores a dozen models of about 200 KB each per round (the ledger's), and a copy of
 * each would wait for the next garbage collection.
 */
export function modelPayloadView (weights: Float32Array): Uint8Array {
  return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength)
}

/**
 * Untrusted payload bytes to parameters: size, then hash, then finiteness.
 * @param expectedHash the hash the announcement promised.
 * @param parameterCount the network's model size; any other length is refused.
 * @throws ValidationError `wrong-size`, `hash-mismatch` or `non-finite`.
 */
export function decodeModelPayload (payload: Uint8Array, expectedHash: string, parameterCount: number): Float32Array {
  if (payload.byteLength !== parameterCount * BYTES_PER_PARAMETER) {
    throw new ValidationError('wrong-size', `${payload.byteLength} bytes, the model has ${parameterCount * BYTES_PER_PARAMETER}`)
  }
  if (payloadHash(payload) !== expectedHash) throw new ValidationError('hash-mismatch', 'payload does not match its announced hash')
  // Copy: the payload may sit at an offset that is not a multiple of 4, and must not alias a network buffer.
  const weights = new Float32Array(parameterCount)
  new Uint8Array(weights.buffer).set(payload)
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new ValidationError('non-finite', `parameter ${i} is ${weights[i]}`)
  }
  return weights
}
