import { SHA256_BYTES } from './model-payload.ts'
import { ValidationError } from './validation-error.ts'

/**
 * The model-transfer stream protocol (`modelProtocol(networkId)`):
 *
 * - request: one length-prefixed frame holding the 32-byte SHA-256 of the wanted payload;
 * - response: one length-prefixed frame: a status byte, then (when found) the payload bytes.
 *
 * The client knows the exact size from the announcement and refuses any other; the server
 * refuses requests of any other size than 32 bytes. Both sides bound what a peer can make them
 * do: concurrent requests per peer and in total (inbound: answered `busy`; outbound: queued in a
 * bounded FIFO, the newest refused when it is full), a deadline on every stream, and no byte
 * beyond the announced size.
 */

/** Size of a request, bytes: one SHA-256 digest ({@link SHA256_BYTES}), the only request size a server accepts. */
export const MODEL_REQUEST_BYTES = SHA256_BYTES

/** Status bytes of a response, readable ASCII so a hex dump says what happened. */
export const TRANSFER_STATUS = {
  found: 0x46, // 'F'
  'not-found': 0x4e, // 'N'
  busy: 0x42 // 'B'
} as const

/** Why a transfer failed; used in logs and metric labels. */
export type TransferErrorCode =
  | 'not-found' // the peer does not hold that payload (any more)
  | 'busy' // the peer refused: too many concurrent requests
  | 'timeout' // the request took longer than its deadline
  | 'aborted' // the caller's signal fired
  | 'wrong-size' // the answer was not exactly the announced size
  | 'truncated' // the stream ended before the whole answer arrived
  | 'hash-mismatch' // the bytes do not hash to the requested hash
  | 'bad-response' // unknown status byte or empty frame
  | 'stream-error' // dialling or the stream itself failed
  | 'overloaded' // this node already has the most fetches in flight and queued
  | 'bad-certificate' // the bulk channel's server did not prove the announcer's libp2p key (or the network key)

/** A failed model transfer, with the code of the failure. */
export class TransferError extends Error {
  readonly code: TransferErrorCode
  constructor (code: TransferErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options)
    this.name = 'TransferError'
    this.code = code
  }
}

/** Largest model payload a node fetches or serves unless told otherwise, bytes (256 MiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024

/**
 * Untrusted request bytes to the hex hash they ask for: exactly {@link MODEL_REQUEST_BYTES} bytes.
 * @throws ValidationError `malformed` for any other size.
 */
export function decodeModelRequest (bytes: Uint8Array): string {
  if (bytes.byteLength !== MODEL_REQUEST_BYTES) {
    throw new ValidationError('malformed', `request of ${bytes.byteLength} bytes, expected ${MODEL_REQUEST_BYTES}`)
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
