import { createHmac, timingSafeEqual } from 'node:crypto'
import { connect, createServer } from 'node:tls'
import type { OnReadOpts } from 'node:net'
import type { ConnectionOptions, Server, TLSSocket } from 'node:tls'
import { peerIdFromString } from '@libp2p/peer-id'
import { FetchSlots, QueueFullError } from './fetch-slots.ts'
import { BULK_LENGTH_BYTES, BulkResponseReader } from './bulk-response-reader.ts'
import { PayloadHasher } from './payload-hasher.ts'
import { createPeerCertificate, verifyPeerCertificate } from './peer-certificate.ts'
import type { PeerCertificate } from './peer-certificate.ts'
import {
  DEFAULT_MAX_PAYLOAD_BYTES, MODEL_REQUEST_BYTES, SHA256_HEX_PATTERN, TRANSFER_STATUS, TransferError, decodeModelRequest
} from '../protocol/index.ts'
import {
  DEFAULT_MAX_INBOUND_PER_PEER, DEFAULT_MAX_INBOUND_TOTAL, DEFAULT_MAX_OUTBOUND_PER_PEER, DEFAULT_MAX_OUTBOUND_TOTAL, DEFAULT_MAX_QUEUED_FETCHES,
  DEFAULT_REQUEST_READ_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS
} from './model-transfer.ts'
import type { PayloadSource, TransferRequestOutcome } from './model-transfer.ts'
import type { NetworkKey } from './network-key.ts'
import type { Offence } from './peer-penalties.ts'
import type { AbortOptions, ComponentLogger, Logger, PrivateKey, Startable } from '@libp2p/interface'
import { deadlineSignal } from '../round/index.ts'

/**
 * The bulk channel (docs/wire.md §6.2): model payloads by content hash over TLS 1.3 from node:tls
 * on a TCP socket of its own, beside libp2p, so the bytes move at the speed of native crypto
 * rather than of Noise and yamux in JavaScript. Each side presents a self-signed certificate its
 * libp2p key vouches for (src/network/peer-certificate.ts), so both know whom they talk to: the
 * client refuses any server but the announcer, the server applies the node's member list and
 * bans. In a closed network both sides also prove the pre-shared key, bound to the TLS session,
 * before any payload byte moves. The signed hash still guards every payload: the client hashes
 * the bytes as they arrive.
 *
 * One request per connection: the client sends the 32-byte hash; the server answers a status
 * byte (`F`, `N` or `B`, as the model protocol), then for `F` the payload's length (4 bytes,
 * little-endian) and the payload, and closes.
 */

/** ALPN protocol id of the bulk channel of a network; a connection that negotiates another is closed. */
export function bulkProtocol (networkId: string): string {
  return `meshtrain/${networkId}/bulk/1`
}

/** TLS exporter label of the pre-shared-key proof (RFC 8446 §7.5). */
const PSK_EXPORTER_LABEL = 'EXPORTER-meshtrain-bulk-psk'

/** Size of a pre-shared-key proof, bytes (an HMAC-SHA256). */
export const PSK_PROOF_BYTES = 32

/** Where a peer's bulk channel listens. */
export interface BulkAddress {
  readonly host: string
  readonly port: number
}

export interface BulkChannelInit {
  /** The network whose ALPN id is served and asked for. */
  networkId: string
  /** Address to listen on, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string
  /**
   * TCP port to listen on; 0 takes any free one (peers learn it from announcements).
   * @default 0
   */
  port?: number
  /** Largest payload fetched or served, bytes. @default 268_435_456 (256 MiB) */
  maxPayloadBytes?: number
  /** Closed network: both sides prove this key before any payload moves. */
  networkKey?: NetworkKey
  /** Whether a proven peer may fetch (the member list and bans). @default everyone */
  admit?: (peerId: string) => boolean
  /** Deadline of one request on either side, ms. @default 60_000 */
  requestTimeoutMs?: number
  /** Deadline for the handshake and the request to arrive, ms. @default 2_000 */
  requestReadTimeoutMs?: number
  /** Concurrent inbound connections per peer; more are closed and counted as `stream-flood`. @default 4 */
  maxInboundPerPeer?: number
  /** Concurrent inbound requests served in total; more are answered `busy`. @default 32 */
  maxInboundTotal?: number
  /** Concurrent outbound fetches per peer. @default 2 */
  maxOutboundPerPeer?: number
  /** Concurrent outbound fetches in total. @default 8 */
  maxOutboundTotal?: number
  /** Fetches waiting for a slot; more fail at once with `overloaded`. @default 256 */
  maxQueuedFetches?: number
  /** Told of every offence a peer commits on this channel. */
  onOffence?: (peerId: string, offence: Extract<Offence, 'stream-flood' | 'slow-request'>) => void
}

export interface BulkChannelComponents {
  readonly privateKey: PrivateKey
  readonly logger: ComponentLogger
}

/** The bulk channel as a libp2p service: libp2p starts it (the TLS server) and stops it with the node. */
export class BulkChannel implements Startable {
  readonly protocol: string
  readonly #components: BulkChannelComponents
  readonly #log: Logger
  readonly #host: string
  readonly #listenPort: number
  readonly #maxPayloadBytes: number
  readonly #psk: Uint8Array | undefined
  readonly #admit: (peerId: string) => boolean
  readonly #requestTimeoutMs: number
  readonly #readTimeoutMs: number
  readonly #maxInboundPerPeer: number
  readonly #maxInboundTotal: number
  readonly #onOffence: NonNullable<BulkChannelInit['onOffence']>
  readonly #outbound: FetchSlots
  readonly #inboundByPeer = new Map<string, number>()
  #inboundTotal = 0
  #server: Server | undefined
  #certificate: PeerCertificate | undefined
  #source: PayloadSource | undefined
  #port: number | undefined
  readonly #sockets = new Set<TLSSocket>()
  readonly #hasher = new PayloadHasher()

  constructor (components: BulkChannelComponents, init: BulkChannelInit) {
    this.#components = components
    this.protocol = bulkProtocol(init.networkId)
    this.#log = components.logger.forComponent('meshtrain:bulk-channel')
    this.#host = init.host
    this.#listenPort = init.port ?? 0
    this.#maxPayloadBytes = init.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
    this.#psk = init.networkKey?.psk
    this.#admit = init.admit ?? (() => true)
    this.#requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#readTimeoutMs = init.requestReadTimeoutMs ?? DEFAULT_REQUEST_READ_TIMEOUT_MS
    this.#maxInboundPerPeer = init.maxInboundPerPeer ?? DEFAULT_MAX_INBOUND_PER_PEER
    this.#maxInboundTotal = init.maxInboundTotal ?? DEFAULT_MAX_INBOUND_TOTAL
    this.#onOffence = init.onOffence ?? (() => {})
    this.#outbound = new FetchSlots({
      perKey: init.maxOutboundPerPeer ?? DEFAULT_MAX_OUTBOUND_PER_PEER,
      total: init.maxOutboundTotal ?? DEFAULT_MAX_OUTBOUND_TOTAL,
      maxQueued: init.maxQueuedFetches ?? DEFAULT_MAX_QUEUED_FETCHES
    })
  }

  /** The TCP port the channel listens on once started; undefined before. */
  get port (): number | undefined { return this.#port }

  /** Serve the payloads `source` holds from now on; undefined: answer every request `not-found`. */
  servePayloads (source: PayloadSource | undefined): void {
    this.#source = source
  }

  /** Make a certificate and listen. Idempotent. */
  async start (): Promise<void> {
    if (this.#server !== undefined) return
    const certificate = this.#certificate = await createPeerCertificate(this.#components.privateKey)
    const server = createServer({
      ...certificate,
      ...TLS_OPTIONS,
      requestCert: true,
      ALPNProtocols: [this.protocol],
      handshakeTimeout: this.#readTimeoutMs
    }, socket => { this.#serve(socket) })
    // Connections still in their handshake are bounded too: they hold no slot yet.
    server.maxConnections = 2 * this.#maxInboundTotal + 2 * this.#maxInboundPerPeer
    server.on('tlsClientError', err => { this.#log('handshake refused - %s', err.message) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#listenPort, this.#host, () => { server.off('error', reject); resolve() })
    })
    const address = server.address()
    this.#port = typeof address === 'object' && address !== null ? address.port : undefined
    this.#server = server
    this.#log('bulk channel listening on %s:%d', this.#host, this.#port)
  }

  /** Close the server and every connection. Idempotent. */
  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.#port = undefined
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    await this.#hasher.stop()
  }

  /**
   * Fetch a payload by hash from `peerId`'s bulk channel at `address`.
   * @returns exactly `byteLength` bytes whose SHA-256 is `modelHash`, in a buffer of their own.
   * @throws TransferError: `bad-certificate` when the server is not `peerId`, `hash-mismatch` or
   * `wrong-size` when it sent other bytes, else the code of the failure.
   */
  async fetch (peerId: string, address: BulkAddress, modelHash: string, byteLength: number, options: AbortOptions = {}): Promise<Uint8Array> {
    if (!SHA256_HEX_PATTERN.test(modelHash)) throw new TransferError('bad-response', `not a SHA-256 hex hash: ${modelHash.slice(0, 80)}`)
    if (!Number.isInteger(byteLength) || byteLength <= 0 || byteLength > this.#maxPayloadBytes) {
      throw new TransferError('wrong-size', `announced ${byteLength} bytes, at most ${this.#maxPayloadBytes} accepted`)
    }
    const certificate = this.#certificate
    if (certificate === undefined) throw new TransferError('stream-error', 'the bulk channel is not started')
    let release: () => void
    try {
      release = await this.#outbound.acquire(peerId, options.signal)
    } catch (err) {
      if (err instanceof QueueFullError) throw new TransferError('overloaded', err.message, { cause: err })
      throw new TransferError('aborted', 'the caller aborted the request', { cause: err })
    }
    const deadline = deadlineSignal(this.#requestTimeoutMs, [options.signal])
    const started = Date.now()
    try {
      const payload = await this.#request(certificate, peerId, address, modelHash, byteLength, deadline.signal)
      this.#log('fetched %d bytes %s from %s in %d ms', byteLength, modelHash, peerId, Date.now() - started)
      return payload
    } catch (err) {
      const error = err instanceof TransferError
        ? err
        : options.signal?.aborted === true
          ? new TransferError('aborted', 'the caller aborted the request', { cause: err })
          : deadline.timedOut
            ? new TransferError('timeout', `no complete answer within ${this.#requestTimeoutMs} ms`, { cause: err })
            : new TransferError('stream-error', err instanceof Error ? err.message : String(err), { cause: err })
      this.#log('bulk fetch of %s from %s failed - %s', modelHash, peerId, error.message)
      throw error
    } finally {
      deadline.clear()
      release()
    }
  }

  #request (certificate: PeerCertificate, peerId: string, address: BulkAddress, modelHash: string, byteLength: number, signal: AbortSignal): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const reader = new BulkResponseReader({ byteLength, modelHash, proofBytes: this.#psk === undefined ? 0 : PSK_PROOF_BYTES, hasher: this.#hasher })
      const fail = (err: Error): void => { reader.abort(); socket.destroy(); reject(err) }
      const options: ConnectionOptionsWithOnread = {
        ...certificate,
        ...TLS_OPTIONS,
        host: address.host,
        port: address.port,
        ALPNProtocols: [this.protocol],
        // Decrypted records go straight where the reader wants them: no buffer per record, no second copy.
        onread: {
          buffer: () => reader.nextBuffer(),
          callback: (count: number) => {
            try {
              reader.received(count)
              return true
            } catch (err) {
              fail(err instanceof Error ? err : new TransferError('bad-response', String(err)))
              return false
            }
          }
        }
      }
      const socket = connect(options)
      const onAbort = (): void => { fail(new Error('aborted')) }
      signal.addEventListener('abort', onAbort, { once: true })
      let ended = false
      socket.once('close', () => {
        signal.removeEventListener('abort', onAbort)
        if (!ended) fail(new TransferError('truncated', `the connection closed after ${reader.filled} of ${byteLength} bytes`))
      })
      socket.on('error', fail)
      socket.once('end', () => {
        ended = true
        socket.destroy()
        reader.end().then(resolve, fail)
      })
      socket.once('secureConnect', () => {
        this.#verify(socket, peerId).then(() => {
          if (socket.destroyed) return // closed (and rejected) while the certificate was checked
          const request = Buffer.from(modelHash, 'hex')
          const psk = this.#psk
          reader.requestSent(psk === undefined ? undefined : pskProof(psk, socket, 'server'))
          socket.write(psk === undefined ? request : Buffer.concat([pskProof(psk, socket, 'client'), request]))
        }, (err: unknown) => { fail(new TransferError('bad-certificate', err instanceof Error ? err.message : String(err))) })
      })
    })
  }

  /** The peer behind a TLS socket, proven by its certificate, checked against `expected` when given. */
  async #verify (socket: TLSSocket, expected?: string): Promise<string> {
    if (socket.alpnProtocol !== this.protocol) throw new Error(`negotiated ${String(socket.alpnProtocol)}, not ${this.protocol}`)
    const certificate = socket.getPeerX509Certificate()
    if (certificate === undefined) throw new Error('no certificate')
    return await verifyPeerCertificate(certificate.raw, expected)
  }

  #serve (socket: TLSSocket): void {
    this.#sockets.add(socket)
    socket.on('error', err => { this.#log('bulk connection failed - %s', err.message) })
    const timer = setTimeout(() => { socket.destroy() }, this.#requestTimeoutMs)
    socket.once('close', () => { clearTimeout(timer); this.#sockets.delete(socket) })
    this.#verify(socket).then(peer => {
      if (socket.destroyed) return // it hung up while its certificate was checked
      if (!this.#admit(peer)) {
        this.#log('refused bulk connection of %s (not a member, or banned)', peer)
        socket.destroy()
        return
      }
      this.#answer(socket, peer)
    }, (err: unknown) => {
      this.#log('refused bulk connection - %s', err instanceof Error ? err.message : String(err))
      socket.destroy()
    })
  }

  #answer (socket: TLSSocket, peer: string): void {
    const perPeer = this.#inboundByPeer.get(peer) ?? 0
    if (perPeer >= this.#maxInboundPerPeer) {
      socket.destroy()
      this.#onOffence(peer, 'stream-flood')
      this.#report(peer, 'overloaded')
      return
    }
    const busy = this.#inboundTotal >= this.#maxInboundTotal
    this.#inboundByPeer.set(peer, perPeer + 1)
    if (!busy) this.#inboundTotal++
    let outcome: TransferRequestOutcome = 'timeout'
    socket.once('close', () => {
      const left = (this.#inboundByPeer.get(peer) ?? 1) - 1
      if (left === 0) this.#inboundByPeer.delete(peer)
      else this.#inboundByPeer.set(peer, left)
      if (!busy) this.#inboundTotal--
      this.#report(peer, outcome)
    })
    const proofBytes = this.#psk === undefined ? 0 : PSK_PROOF_BYTES
    const readTimer = setTimeout(() => {
      this.#onOffence(peer, 'slow-request')
      socket.destroy()
    }, this.#readTimeoutMs)
    readExactly(socket, proofBytes + MODEL_REQUEST_BYTES).then(request => {
      clearTimeout(readTimer)
      if (this.#psk !== undefined && !samePskProof(request.subarray(0, PSK_PROOF_BYTES), pskProof(this.#psk, socket, 'client'))) {
        outcome = 'malformed'
        this.#log('refused bulk request of %s: wrong network key proof', peer)
        socket.destroy()
        return
      }
      const head = this.#psk === undefined ? [] : [pskProof(this.#psk, socket, 'server')]
      const found = busy ? 'busy' : this.#source?.lookup(decodeModelRequest(request.subarray(proofBytes)))
      if (found === 'busy' || found === undefined) {
        outcome = found === 'busy' ? 'overloaded' : 'unknown-hash'
        socket.end(Buffer.concat([...head, Buffer.of(TRANSFER_STATUS[found === 'busy' ? 'busy' : 'not-found'])]))
        return
      }
      const length = Buffer.alloc(1 + BULK_LENGTH_BYTES)
      length[0] = TRANSFER_STATUS.found
      length.writeUInt32LE(found.byteLength, 1)
      socket.write(Buffer.concat([...head, length]))
      writePayload(socket, found, () => { outcome = 'accept' })
    }, () => {
      clearTimeout(readTimer)
      outcome = 'malformed'
      socket.destroy()
    })
  }

  #report (peer: string, outcome: TransferRequestOutcome): void {
    this.#source?.onRequest?.(peerIdFromString(peer), outcome)
  }
}

/** The bulk channel service factory for libp2p's `services` map. */
export function bulkChannel (init: BulkChannelInit): (components: BulkChannelComponents) => BulkChannel {
  return components => new BulkChannel(components, init)
}

/**
 * TLS 1.3 only; certificates are checked by their libp2p extension, not by a certificate
 * authority. AES-128-GCM first: with AES-NI the cheapest of the three TLS 1.3 suites. node:tls
 * takes TLS 1.3 suites in `ciphers` (it has no `ciphersuites` option: one is ignored, and
 * OpenSSL's default order, AES-256-GCM first, applies).
 */
const TLS_OPTIONS = {
  minVersion: 'TLSv1.3',
  maxVersion: 'TLSv1.3',
  rejectUnauthorized: false,
  ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'
} as const

/**
 * tls.connect takes net's `onread` as well (nodejs/node#35753, "tls: allow reading
 * data into a static buffer"; documented under tls.connect); @types/node leaves it out.
 */
type ConnectionOptionsWithOnread = ConnectionOptions & { onread: OnReadOpts }

/** Proof of the network key bound to this TLS session and to the prover's role, so it can be neither replayed nor reflected. */
function pskProof (psk: Uint8Array, socket: TLSSocket, role: 'client' | 'server'): Buffer {
  const exported = socket.exportKeyingMaterial(32, PSK_EXPORTER_LABEL, Buffer.alloc(0))
  return createHmac('sha256', psk).update(`meshtrain/bulk-psk/1\n${role}\n`).update(exported).digest()
}

function samePskProof (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/**
 * Pieces a payload is written in, bytes (256 KiB). node:tls encrypts a whole write before it sends
 * any of it: one write of the payload would keep the peer idle while all of it is encrypted, and
 * hold a ciphertext copy of all of it per connection. Pieces let the peer decrypt one while the
 * next is encrypted, and bound what a connection holds.
 */
const BULK_WRITE_PIECE_BYTES = 256 * 1024

/** Write `payload` piece by piece, each once the one before has left, then end; `onFinish` once all of it is flushed. */
function writePayload (socket: TLSSocket, payload: Uint8Array, onFinish: () => void): void {
  let offset = 0
  const writeMore = (): void => {
    while (offset < payload.byteLength) {
      const end = Math.min(offset + BULK_WRITE_PIECE_BYTES, payload.byteLength)
      const more = socket.write(payload.subarray(offset, end))
      offset = end
      if (!more) {
        socket.once('drain', writeMore)
        return
      }
    }
    socket.end(onFinish)
  }
  writeMore()
}

/** Exactly `count` bytes from the socket; more (or the end first) is an error. */
function readExactly (socket: TLSSocket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      received += chunk.byteLength
      if (received < count) return
      cleanup()
      if (received > count) reject(new Error(`more than ${count} bytes`))
      else resolve(Buffer.concat(chunks))
    }
    const onEnd = (): void => { cleanup(); reject(new Error(`ended after ${received} of ${count} bytes`)) }
    const cleanup = (): void => { socket.off('data', onData); socket.off('end', onEnd); socket.off('close', onEnd) }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('close', onEnd)
  })
}
