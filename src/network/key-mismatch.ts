import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import type { Logger } from '../round/index.ts'

/** Reports about one remote host are at most this often, ms. */
const REPORT_INTERVAL_MS = 60_000
/** Most connections watched, and hosts remembered, at once. */
const MAX_WATCHED = 1024

/**
 * Says "pre-shared key mismatch?" when a connection fails after the network-key exchange.
 *
 * With different keys, pnet's nonce exchange succeeds (it is in the clear) and everything after
 * it decrypts to noise on the other side, so the failure surfaces later, in the Noise handshake,
 * as a reset, a premature end of stream or a time-out: libp2p itself only reports a bare
 * connection reset. This watcher wraps the connection protector and notes every connection that
 * passed the key exchange; one that closes before libp2p opened it (and that the member gater
 * did not refuse) failed in the handshake, which with a closed network most likely means the
 * peers hold different keys. The key is never logged; its fingerprint is.
 */
export class KeyMismatchReporter {
  readonly #fingerprint: string
  readonly #log: Logger
  /** Connections past the key exchange and not yet opened, by remote address. */
  readonly #pending = new Set<string>()
  readonly #reportedAt = new Map<string, number>()

  constructor (fingerprint: string, log: Logger) {
    this.#fingerprint = fingerprint
    this.#log = log
  }

  /** Wrap a connection protector so every connection it protects is watched. */
  watch (inner: ConnectionProtector): ConnectionProtector {
    return {
      [Symbol.toStringTag]: 'meshtrain:pnet-watch',
      protect: async (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> => {
        const address = addressKey((connection as Partial<MultiaddrConnection>).remoteAddr)
        let protectedStream: MessageStream
        try {
          protectedStream = await inner.protect(connection, options)
        } catch (err) {
          this.#report(address, `the network-key exchange failed (${err instanceof Error ? err.message : String(err)})`)
          throw err
        }
        if (address !== undefined && this.#pending.size < MAX_WATCHED) {
          this.#pending.add(address)
          protectedStream.addEventListener('close', () => {
            if (this.#pending.delete(address)) this.#report(address, 'the connection failed after the network-key exchange')
          }, { once: true })
        }
        return protectedStream
      }
    } as ConnectionProtector
  }

  /** libp2p opened a connection to this address: the keys matched. */
  opened (remoteAddr: string): void {
    const key = addressKey(remoteAddr)
    if (key !== undefined) this.#pending.delete(key)
  }

  /** The member gater refused this connection: not a key problem. */
  gated (maConn: MultiaddrConnection | undefined): void {
    const key = addressKey(maConn?.remoteAddr)
    if (key !== undefined) this.#pending.delete(key)
  }

  #report (address: string | undefined, what: string): void {
    const host = address?.split('/').slice(0, 3).join('/') ?? 'unknown'
    const now = Date.now()
    const last = this.#reportedAt.get(host)
    if (last !== undefined && now - last < REPORT_INTERVAL_MS) return
    if (this.#reportedAt.size >= MAX_WATCHED) this.#reportedAt.clear()
    this.#reportedAt.set(host, now)
    this.#log.warn(`connection with ${address ?? 'a peer'}: ${what}: pre-shared key mismatch? This node's network key has fingerprint ${this.#fingerprint}; every member's must be the same.`)
  }
}

/** A remote address without its `/p2p/<peer-id>` suffix, so dialled and accepted forms compare equal. */
function addressKey (address: { toString(): string } | string | undefined): string | undefined {
  if (address === undefined) return undefined
  return address.toString().replace(/\/p2p\/[^/]+$/, '')
}
