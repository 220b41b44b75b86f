import { timingSafeEqual } from 'node:crypto'
import { TRANSFER_STATUS, TransferError } from '../protocol/index.ts'
import type { PayloadHash, PayloadHasher } from './payload-hasher.ts'

/** Size of the length that precedes a payload on the bulk channel, bytes. */
export const BULK_LENGTH_BYTES = 4

/**
 * Where bytes past the announced length go, bytes: as big as a TLS record (RFC 8446 §5.1), so
 * that an overlong answer is refused in one read however the record is cut.
 */
const OVERFLOW_BYTES = 16_384

export interface BulkResponseReaderInit {
  /** The announced payload size, bytes (at least 1). */
  readonly byteLength: number
  /** The hex SHA-256 the payload must have. */
  readonly modelHash: string
  /** Size of the server's key proof that precedes the status (0 in open networks), bytes. */
  readonly proofBytes: number
  readonly hasher: PayloadHasher
}

/**
 * The client's side of a bulk channel answer (docs/wire.md §6.2): the server's key proof (closed
 * networks), the status byte, the 4-byte length, then the payload. Built for the `onread` option
 * of node:tls, which decrypts each record straight into the buffer {@link nextBuffer} gives: the
 * payload bytes land once, in place, in a buffer of their own, and are hashed as they arrive (big
 * payloads in the hasher's worker thread, which reads that buffer as it fills). No socket here:
 * the caller feeds it and destroys the connection when it throws.
 */
export class BulkResponseReader {
  readonly #init: BulkResponseReaderInit
  readonly #head: Buffer
  #headFilled = 0
  #serverProof: Uint8Array | undefined
  #requestSent = false
  #hash: PayloadHash | undefined
  #filled = 0
  #overflow: Uint8Array | undefined

  constructor (init: BulkResponseReaderInit) {
    this.#init = init
    this.#head = Buffer.alloc(init.proofBytes + 1 + BULK_LENGTH_BYTES)
  }

  /** The request is on its way; from now on bytes are an answer. `serverProof`: the proof the server must send first (closed networks). */
  requestSent (serverProof: Uint8Array | undefined): void {
    this.#requestSent = true
    this.#serverProof = serverProof
  }

  /** Where the next bytes of the answer are to be written. */
  nextBuffer (): Uint8Array {
    if (this.#headFilled < this.#head.byteLength) return this.#head.subarray(this.#headFilled)
    const hash = this.#hash
    if (hash !== undefined && this.#filled < this.#init.byteLength) return hash.buffer.subarray(this.#filled)
    this.#overflow ??= new Uint8Array(OVERFLOW_BYTES)
    return this.#overflow
  }

  /**
   * `count` bytes were written at the start of the last {@link nextBuffer}.
   * @throws TransferError when they refuse the answer: `bad-response` (bytes before the request,
   * an unknown status), `bad-certificate` (no proof of the network key), `not-found`, `busy`,
   * `wrong-size` (another length, or more bytes than announced).
   */
  received (count: number): void {
    if (!this.#requestSent) throw new TransferError('bad-response', 'the server sent bytes before the request')
    if (this.#headFilled < this.#head.byteLength) {
      this.#headFilled += count
      this.#checkHead()
      return
    }
    const hash = this.#hash
    if (hash === undefined || this.#filled === this.#init.byteLength) {
      throw new TransferError('wrong-size', `answer longer than the announced ${this.#init.byteLength} bytes`)
    }
    this.#filled += count
    hash.progress(this.#filled)
  }

  /**
   * The server closed its side.
   * @returns the payload: exactly `byteLength` bytes whose SHA-256 is `modelHash`, in a buffer of their own.
   * @throws TransferError `truncated` (fewer bytes), `hash-mismatch` (other bytes).
   */
  async end (): Promise<Uint8Array> {
    const hash = this.#hash
    if (hash === undefined || this.#filled < this.#init.byteLength) {
      throw new TransferError('truncated', `the answer ended after ${this.#filled} of ${this.#init.byteLength} bytes`)
    }
    this.#hash = undefined
    const digest = await hash.digest()
    if (digest !== this.#init.modelHash) throw new TransferError('hash-mismatch', `payload does not hash to ${this.#init.modelHash}`)
    return hash.buffer
  }

  /** Forget the payload (the transfer failed). Idempotent. */
  abort (): void {
    this.#hash?.abort()
    this.#hash = undefined
  }

  /** Bytes of the payload received so far. */
  get filled (): number { return this.#filled }

  /** Refuse the head as soon as what it holds so far refuses the answer (the checks are idempotent); once complete, start the payload. */
  #checkHead (): void {
    const { proofBytes, byteLength, modelHash } = this.#init
    const head = this.#head
    if (this.#headFilled <= proofBytes) return
    const serverProof = this.#serverProof
    if (serverProof !== undefined) {
      const proof = head.subarray(0, proofBytes)
      if (proof.byteLength !== serverProof.byteLength || !timingSafeEqual(proof, serverProof)) {
        throw new TransferError('bad-certificate', 'the server did not prove the network key')
      }
    }
    const status = head[proofBytes]
    if (status === TRANSFER_STATUS['not-found']) throw new TransferError('not-found', `peer does not hold ${modelHash}`)
    if (status === TRANSFER_STATUS.busy) throw new TransferError('busy', `peer refused ${modelHash}: too many requests`)
    if (status !== TRANSFER_STATUS.found) throw new TransferError('bad-response', `status ${String(status)}`)
    if (this.#headFilled < head.byteLength) return
    const length = head.readUInt32LE(proofBytes + 1)
    if (length !== byteLength) throw new TransferError('wrong-size', `answer of ${length} bytes, announced ${byteLength}`)
    this.#hash = this.#init.hasher.begin(byteLength)
  }
}
