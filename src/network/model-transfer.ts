import { createHash } from 'node:crypto'
import { InvalidDataLengthError, UnexpectedEOFError, lpStream } from '@libp2p/utils'
import { FetchSlots, QueueFullError } from './fetch-slots.ts'
import {
  DEFAULT_MAX_PAYLOAD_BYTES, MODEL_REQUEST_BYTES, TRANSFER_STATUS, SHA256_HEX_PATTERN, TransferError, ValidationError, decodeModelRequest, modelProtocol
} from '../protocol/index.ts'
import type { ValidationCode } from '../protocol/index.ts'
import type { Offence } from './peer-penalties.ts'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { ProtocolRegistrar } from './protocol-registrar.ts'
import { deadlineSignal } from '../round/index.ts'

/**
 * The model-transfer protocol as a libp2p service (wire format: src/protocol/model-transfer-wire.ts
 * and docs/wire.md). Both sides bound what a peer can make them do: concurrent requests per peer
 * and in total (inbound: answered `busy`; outbound: queued in a bounded FIFO, the newest refused
 * when it is full), a deadline on every stream, and no byte beyond the announced size.
 */

/** Options of the model-transfer protocol; all but `networkId` have defaults. */
export interface ModelTransferInit {
  /** The network whose protocol id (`/meshtrain/<network-id>/model/1.0.0`) is served and dialled. */
  networkId: string
  /**
   * Largest payload this node fetches or serves, bytes.
   * @default 268_435_456 (256 MiB)
   */
  maxPayloadBytes?: number
  /**
   * Deadline of one request, on either side, ms. Generous: 8 MB takes well under a second on
   * loopback, but a slow link at 1 MB/s needs about 8 s.
   * @default 60_000
   */
  requestTimeoutMs?: number
  /**
   * Concurrent inbound streams per peer (honest nodes open at most 2); a stream beyond it is reset
   * at once, unread, and counted against the peer (`stream-flood`). It never takes a slot of the
   * total, so one peer cannot make the node answer others `busy`.
   * @default 4
   */
  maxInboundPerPeer?: number
  /**
   * Concurrent inbound requests served in total; more are answered `busy`.
   * @default 32
   */
  maxInboundTotal?: number
  /**
   * Deadline for an inbound stream's 32-byte request to arrive, ms: a peer that opens streams and
   * trickles or sends nothing holds a slot this long at most, and is counted against
   * (`slow-request`). Honest peers send the request with the stream.
   * @default 2_000
   */
  requestReadTimeoutMs?: number
  /**
   * Told of every offence a peer commits on this protocol (the node's one penalty score).
   * @default ignore them
   */
  onOffence?: (peerId: string, offence: Extract<Offence, 'stream-flood' | 'slow-request'>) => void
  /**
   * Concurrent outbound fetches per peer; more wait in the queue.
   * @default 2
   */
  maxOutboundPerPeer?: number
  /**
   * Concurrent outbound fetches in total (each holds up to one payload in memory); more wait.
   * @default 8
   */
  maxOutboundTotal?: number
  /**
   * Fetches waiting for a slot; beyond it a fetch fails at once with `overloaded`.
   * @default 256
   */
  maxQueuedFetches?: number
}

/** How one inbound request ended: served, or a validation code (for metrics and logs). */
export type TransferRequestOutcome = 'accept' | ValidationCode

/** The narrow set of libp2p components the service needs (libp2p hands them to its services). */
export interface ModelTransferComponents {
  readonly registrar: ProtocolRegistrar
  readonly connectionManager: {
    openStream (peer: PeerId, protocol: string, options?: AbortOptions): Promise<Stream>
  }
  readonly logger: ComponentLogger
}

/** What this node serves, set by the round network: payloads by hash, and a hook per request (metrics). */
export interface PayloadSource {
  /** Payloads this node serves, by hex SHA-256; undefined when it does not hold one. */
  lookup (modelHash: string): Uint8Array | undefined
  /** Told how every inbound request ended. */
  onRequest? (peer: PeerId, outcome: TransferRequestOutcome): void
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
export const DEFAULT_MAX_INBOUND_PER_PEER = 4
export const DEFAULT_MAX_INBOUND_TOTAL = 32
export const DEFAULT_REQUEST_READ_TIMEOUT_MS = 2_000
export const DEFAULT_MAX_OUTBOUND_PER_PEER = 2
export const DEFAULT_MAX_OUTBOUND_TOTAL = 8
export const DEFAULT_MAX_QUEUED_FETCHES = 256

/**
 * Inbound model-protocol streams libp2p accepts per connection beyond `maxInboundTotal`
 * (`maxInboundStreams` is `maxInboundTotal + 1`, 33 by default), so that our own per-peer/total
 * limits answer `busy` instead of libp2p resetting the stream.
 */
export const INBOUND_STREAM_HEADROOM = 1

/**
 * The model-transfer protocol as a libp2p service (see {@link modelTransfer}): serves the payloads
 * its {@link PayloadSource} holds by hash to other peers, and fetches theirs. libp2p starts it with
 * the node (registering the stream handler) and stops it with the node (unregistering it and
 * aborting requests in flight).
 */
export class ModelTransfer implements Startable {
  readonly protocol: string
  private readonly components: ModelTransferComponents
  private readonly log: Logger
  private readonly maxPayloadBytes: number
  private readonly requestTimeoutMs: number
  private readonly maxInboundPerPeer: number
  private readonly maxInboundTotal: number
  private readonly requestReadTimeoutMs: number
  private readonly onOffence: NonNullable<ModelTransferInit['onOffence']>
  private readonly outbound: FetchSlots
  private readonly inboundByPeer = new Map<string, number>()
  private inboundTotal = 0
  private run: AbortController | undefined
  private source: PayloadSource | undefined

  constructor (components: ModelTransferComponents, init: ModelTransferInit) {
    this.components = components
    this.protocol = modelProtocol(init.networkId)
    this.log = components.logger.forComponent('meshtrain:model-transfer')
    this.maxPayloadBytes = positive('maxPayloadBytes', init.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES)
    this.requestTimeoutMs = positive('requestTimeoutMs', init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
    this.maxInboundPerPeer = positive('maxInboundPerPeer', init.maxInboundPerPeer ?? DEFAULT_MAX_INBOUND_PER_PEER)
    this.maxInboundTotal = positive('maxInboundTotal', init.maxInboundTotal ?? DEFAULT_MAX_INBOUND_TOTAL)
    this.requestReadTimeoutMs = positive('requestReadTimeoutMs', init.requestReadTimeoutMs ?? DEFAULT_REQUEST_READ_TIMEOUT_MS)
    this.onOffence = init.onOffence ?? (() => {})
    this.outbound = new FetchSlots({
      perKey: positive('maxOutboundPerPeer', init.maxOutboundPerPeer ?? DEFAULT_MAX_OUTBOUND_PER_PEER),
      total: positive('maxOutboundTotal', init.maxOutboundTotal ?? DEFAULT_MAX_OUTBOUND_TOTAL),
      maxQueued: positive('maxQueuedFetches', init.maxQueuedFetches ?? DEFAULT_MAX_QUEUED_FETCHES)
    })
  }

  /** Serve the payloads `source` holds from now on; undefined: answer every request `not-found`. */
  servePayloads (source: PayloadSource | undefined): void {
    this.source = source
  }

  /** Register the stream handler. Idempotent. */
  async start (): Promise<void> {
    if (this.run !== undefined) return
    this.run = new AbortController()
    await this.components.registrar.handle(this.protocol, async (stream, connection) => {
      await this.serve(stream, connection)
    }, {
      // Let our own per-peer/total limits answer `busy` instead of libp2p resetting the stream.
      maxInboundStreams: this.maxInboundTotal + INBOUND_STREAM_HEADROOM
    })
  }

  /** Unregister the handler and abort requests in flight. Idempotent. */
  async stop (): Promise<void> {
    if (this.run === undefined) return
    this.run.abort(new Error('model transfer stopped'))
    this.run = undefined
    await this.components.registrar.unhandle(this.protocol)
  }

  /**
   * Pull a payload by hash from a peer, dialling it if needed.
   * @param byteLength the exact size the announcement promised; any other size is refused.
   * @returns exactly `byteLength` bytes whose SHA-256 is `modelHash`, in a buffer of their own.
   * @throws TransferError with the code of the failure.
   */
  async fetch (peer: PeerId, modelHash: string, byteLength: number, options: AbortOptions = {}): Promise<Uint8Array> {
    if (!SHA256_HEX_PATTERN.test(modelHash)) throw new TransferError('bad-response', `not a SHA-256 hex hash: ${modelHash.slice(0, 80)}`)
    if (!Number.isInteger(byteLength) || byteLength <= 0 || byteLength > this.maxPayloadBytes) {
      throw new TransferError('wrong-size', `announced ${byteLength} bytes, at most ${this.maxPayloadBytes} accepted`)
    }
    let release: () => void
    try {
      release = await this.outbound.acquire(peer.toString(), options.signal)
    } catch (err) {
      if (err instanceof QueueFullError) throw new TransferError('overloaded', err.message, { cause: err })
      throw new TransferError('aborted', 'the caller aborted the request', { cause: err })
    }
    // The deadline starts once a slot is free: a queued fetch has not cost the peer anything yet.
    const deadline = deadlineSignal(this.requestTimeoutMs, [options.signal])
    const { signal } = deadline
    const started = Date.now()
    let stream: Stream | undefined
    try {
      stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal })
      const payload = await requestModel(stream, modelHash, byteLength, { signal })
      await stream.close({ signal }).catch(err => stream?.abort(err))
      this.log('fetched %d bytes %s from %p in %d ms', byteLength, modelHash, peer, Date.now() - started)
      return payload
    } catch (err) {
      const error = toTransferError(err, deadline.timedOut, options.signal, this.requestTimeoutMs)
      stream?.abort(error)
      this.log('fetch of %s from %p failed - %s', modelHash, peer, error.message)
      throw error
    } finally {
      deadline.clear()
      release()
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const run = this.run
    if (run === undefined) {
      stream.abort(new Error('model transfer stopped'))
      return
    }
    const perPeer = this.inboundByPeer.get(peer) ?? 0
    if (perPeer >= this.maxInboundPerPeer) {
      // One peer's excess streams are its own problem: reset unread, never holding a shared slot.
      stream.abort(new Error(`more than ${this.maxInboundPerPeer} concurrent model streams`))
      this.onOffence(peer, 'stream-flood')
      this.source?.onRequest?.(connection.remotePeer, 'overloaded')
      return
    }
    // `busy` only when the node as a whole is full; such a stream holds no slot of the total.
    const busy = this.inboundTotal >= this.maxInboundTotal
    this.inboundByPeer.set(peer, perPeer + 1)
    if (!busy) this.inboundTotal++
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal])
    const readDeadline = deadlineSignal(this.requestReadTimeoutMs, [deadline.signal])
    const { signal } = deadline
    const readSignal = readDeadline.signal
    let outcome: TransferRequestOutcome = 'accept'
    try {
      outcome = await serveModelRequest(stream, busy ? () => 'busy' : hash => this.source?.lookup(hash), { signal, readSignal })
      await stream.close({ signal })
    } catch (err) {
      outcome = err instanceof ValidationError ? err.code : readSignal.aborted && !run.signal.aborted ? 'timeout' : 'stream-error'
      // The request did not arrive in time: the peer holds a stream without asking (slow-loris).
      if (err instanceof ValidationError && err.code === 'timeout') this.onOffence(peer, 'slow-request')
      this.log('serving %p failed - %s', connection.remotePeer, err instanceof Error ? err.message : String(err))
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      const left = (this.inboundByPeer.get(peer) ?? 1) - 1
      if (left === 0) this.inboundByPeer.delete(peer)
      else this.inboundByPeer.set(peer, left)
      if (!busy) this.inboundTotal--
      readDeadline.clear()
      deadline.clear()
      this.source?.onRequest?.(connection.remotePeer, outcome)
    }
  }
}

/**
 * The model-transfer service factory for libp2p's `services` map: libp2p builds it with its
 * components and starts and stops it with the node.
 */
export function modelTransfer (init: ModelTransferInit): (components: ModelTransferComponents) => ModelTransfer {
  return components => new ModelTransfer(components, init)
}

/**
 * Server side of one request on an open stream: read the 32-byte hash, answer with the payload
 * the lookup returns, `not-found`, or `busy` when the lookup says so. Does not close the stream.
 * @param options.readSignal bounds the wait for the request; `signal` the whole exchange.
 * @returns `accept` when the payload was sent, else the code of the refusal.
 * @throws ValidationError `too-large` or `malformed` for a bad request, `timeout` when it has not
 * arrived when `readSignal` aborts (and `signal` has not); stream and abort errors
 * pass through. The caller aborts the stream.
 */
export async function serveModelRequest (
  stream: Stream,
  lookup: (modelHash: string) => Uint8Array | undefined | 'busy',
  options: Required<AbortOptions> & { readonly readSignal?: AbortSignal }
): Promise<TransferRequestOutcome> {
  const lp = lpStream(stream, { maxDataLength: MODEL_REQUEST_BYTES })
  let request
  try {
    request = await lp.read({ signal: options.readSignal ?? options.signal })
  } catch (err) {
    if (err instanceof InvalidDataLengthError) throw new ValidationError('too-large', `request frame longer than ${MODEL_REQUEST_BYTES} bytes`)
    if (err instanceof UnexpectedEOFError) throw new ValidationError('malformed', 'stream ended before the request')
    if (options.readSignal?.aborted === true && !options.signal.aborted) throw new ValidationError('timeout', 'no complete request within the read deadline')
    throw err
  }
  const found = lookup(decodeModelRequest(request.subarray()))
  if (found === 'busy') {
    await lp.write(Uint8Array.of(TRANSFER_STATUS.busy), options)
    return 'overloaded'
  } else if (found === undefined) {
    await lp.write(Uint8Array.of(TRANSFER_STATUS['not-found']), options)
    return 'unknown-hash'
  } else {
    // Written by hand rather than through lp.write so the stored payload is sent without a copy:
    // the frame is the length prefix and status byte, then the payload itself.
    const head = Uint8Array.from([...varint(found.byteLength + 1), TRANSFER_STATUS.found])
    if (!stream.send(head)) await stream.onDrain(options)
    if (!stream.send(found)) await stream.onDrain(options)
    return 'accept'
  }
}

/**
 * Client side of one request on an open stream: send the hash, read exactly `byteLength` bytes.
 * The answer is read by hand rather than through `lpStream`, so that the payload is copied once,
 * from the stream's chunks into a buffer of its own, and hashed as it arrives (one SHA-256).
 * Does not close the stream.
 * @throws TransferError `not-found`, `busy`, `wrong-size`, `truncated`, `hash-mismatch` or
 * `bad-response`; stream and abort errors pass through.
 */
export async function requestModel (stream: Stream, modelHash: string, byteLength: number, options: Required<AbortOptions>): Promise<Uint8Array> {
  if (!stream.send(Uint8Array.from([...varint(MODEL_REQUEST_BYTES), ...Buffer.from(modelHash, 'hex')]))) await stream.onDrain(options)
  const answer = new ModelAnswer(modelHash, byteLength)
  const onAbort = (): void => { stream.abort(new Error('model request aborted')) }
  options.signal.throwIfAborted()
  options.signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const chunk of stream) {
      for (const part of chunk instanceof Uint8Array ? [chunk] : chunk) {
        if (answer.push(part)) return answer.payload()
      }
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort)
  }
  throw new TransferError('truncated', 'stream ended before the whole answer')
}

/**
 * One answer of the model protocol, fed chunk by chunk: the varint frame length, the status byte,
 * then the payload, copied into its own buffer and hashed as it comes.
 */
class ModelAnswer {
  readonly #modelHash: string
  readonly #byteLength: number
  readonly #hash = createHash('sha256')
  #frameLength = 0
  #lengthBytes = 0
  #lengthDone = false
  #status: number | undefined
  #buffer: Uint8Array | undefined
  #filled = 0

  constructor (modelHash: string, byteLength: number) {
    this.#modelHash = modelHash
    this.#byteLength = byteLength
  }

  /** Take the next bytes; true once the whole answer is in. @throws TransferError for a refusal or a bad answer. */
  push (bytes: Uint8Array): boolean {
    let at = 0
    while (!this.#lengthDone && at < bytes.byteLength) {
      const byte = bytes[at++] as number
      this.#frameLength += (byte & 0x7f) * 2 ** (7 * this.#lengthBytes++)
      if (byte < 0x80) this.#lengthDone = true
      else if (this.#lengthBytes >= MAX_VARINT_BYTES) throw new TransferError('bad-response', 'frame length too long')
    }
    if (!this.#lengthDone) return false
    if (this.#frameLength === 0) throw new TransferError('bad-response', 'status missing')
    if (this.#frameLength > this.#byteLength + 1) throw new TransferError('wrong-size', 'answer longer than announced')
    if (this.#status === undefined && at < bytes.byteLength) {
      this.#status = bytes[at++] as number
      if (this.#status === TRANSFER_STATUS['not-found']) throw new TransferError('not-found', `peer does not hold ${this.#modelHash}`)
      if (this.#status === TRANSFER_STATUS.busy) throw new TransferError('busy', `peer refused ${this.#modelHash}: too many requests`)
      if (this.#status !== TRANSFER_STATUS.found) throw new TransferError('bad-response', `status ${this.#status}`)
      if (this.#frameLength !== this.#byteLength + 1) throw new TransferError('wrong-size', `answer of ${this.#frameLength - 1} bytes, announced ${this.#byteLength}`)
      this.#buffer = new Uint8Array(this.#byteLength)
    }
    if (this.#buffer === undefined) return false
    // Bytes past the frame are not read: the server sends none.
    const part = bytes.subarray(at, at + this.#byteLength - this.#filled)
    this.#buffer.set(part, this.#filled)
    this.#hash.update(part)
    this.#filled += part.byteLength
    return this.#filled === this.#byteLength
  }

  /** The payload once complete, checked against its hash. @throws TransferError `hash-mismatch`. */
  payload (): Uint8Array {
    if (this.#buffer === undefined || this.#hash.digest('hex') !== this.#modelHash) {
      throw new TransferError('hash-mismatch', `payload does not hash to ${this.#modelHash}`)
    }
    return this.#buffer
  }
}

/** Longest varint a frame length may take (lengths below 2^35). */
const MAX_VARINT_BYTES = 5

function toTransferError (err: unknown, timedOut: boolean, caller: AbortSignal | undefined, timeoutMs: number): TransferError {
  if (err instanceof TransferError) return err
  if (caller?.aborted === true) return new TransferError('aborted', 'the caller aborted the request', { cause: err })
  if (timedOut) return new TransferError('timeout', `no complete answer within ${timeoutMs} ms`, { cause: err })
  if (err instanceof InvalidDataLengthError) return new TransferError('wrong-size', 'answer longer than announced', { cause: err })
  if (err instanceof UnexpectedEOFError) return new TransferError('truncated', 'stream ended before the whole answer', { cause: err })
  const message = err instanceof Error ? err.message : String(err)
  return new TransferError('stream-error', message, { cause: err })
}

/** Unsigned LEB128, the length prefix of `lpStream`. */
function varint (value: number): number[] {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return bytes
}

function positive (name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`ModelTransferInit.${name} is ${value}; a positive integer is allowed`)
  return value
}
