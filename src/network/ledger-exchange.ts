import { InvalidDataLengthError, lpStream } from '@libp2p/utils'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import {
  MAX_LEDGER_REQUEST_BYTES, MAX_LEDGER_RESPONSE_BYTES, ValidationError, decodeLedgerRequest, decodeLedgerResponse, encodeLedgerRequest, encodeLedgerResponse,
  ledgerProtocol
} from '../protocol/index.ts'
import type { LedgerRequest, LedgerResponse } from '../protocol/index.ts'
import type { ProtocolRegistrar } from './protocol-registrar.ts'
import { deadlineSignal } from '../round/index.ts'

/**
 * The ledger exchange as a libp2p service (wire: src/protocol/ledger-wire.ts, docs/wire.md
 * §10.6): it answers peers' requests about this node's log with what {@link serveLedger} was given,
 * and asks peers about theirs ({@link ask}), so a node can check that a peer's new checkpoint
 * extends the one it saw before (a consistency proof), or an auditor can read a peer's entries.
 * The service only moves frames; what a proof proves is the ledger's business.
 */

/** Options of the ledger exchange. */
export interface LedgerExchangeInit {
  /** The network whose protocol id (`/meshtrain/<network-id>/ledger/1.0.0`) is served and dialled. */
  networkId: string
  /**
   * Deadline of one exchange, on either side, ms.
   * @default 10_000
   */
  requestTimeoutMs?: number
  /**
   * Told of every peer whose request or answer breaks the format (the node's one penalty score).
   * @default ignore them
   */
  onOffence?: (peerId: string, offence: 'invalid-ledger-message') => void
}

/** The narrow set of libp2p components the service needs. */
export interface LedgerExchangeComponents {
  readonly logger: ComponentLogger
  readonly registrar: ProtocolRegistrar
  readonly connectionManager: {
    openStream (peer: PeerId, protocol: string | string[], options?: AbortOptions): Promise<Stream>
  }
}

/** Most requests a peer may have open to this node at once, on one connection. */
export const MAX_INBOUND_LEDGER_STREAMS = 2

/** See {@link LedgerExchangeInit}. Started and stopped with the libp2p node. */
export class LedgerExchange implements Startable {
  private readonly components: LedgerExchangeComponents
  private readonly log: Logger
  private readonly protocol: string
  private readonly requestTimeoutMs: number
  private readonly onOffence: (peerId: string, offence: 'invalid-ledger-message') => void
  private answer: ((request: LedgerRequest) => LedgerResponse) | undefined
  private run: AbortController | undefined

  constructor (components: LedgerExchangeComponents, init: LedgerExchangeInit) {
    this.components = components
    this.log = components.logger.forComponent('meshtrain:ledger-exchange')
    this.protocol = ledgerProtocol(init.networkId)
    this.requestTimeoutMs = init.requestTimeoutMs ?? 10_000
    this.onOffence = init.onOffence ?? (() => {})
  }

  readonly [Symbol.toStringTag] = 'meshtrain:ledger-exchange'

  /** Answer peers' requests with `answer` from now on; undefined: this node keeps no ledger (streams are refused). */
  serveLedger (answer: ((request: LedgerRequest) => LedgerResponse) | undefined): void {
    this.answer = answer
  }

  /** Register the handler. Idempotent. */
  async start (): Promise<void> {
    if (this.run !== undefined) return
    this.run = new AbortController()
    await this.components.registrar.handle(this.protocol, async (stream, connection) => { await this.serve(stream, connection) }, { maxInboundStreams: MAX_INBOUND_LEDGER_STREAMS })
  }

  /** Idempotent. */
  async stop (): Promise<void> {
    if (this.run === undefined) return
    this.run.abort(new Error('ledger exchange stopped'))
    this.run = undefined
    await this.components.registrar.unhandle(this.protocol)
  }

  /**
   * Ask `peer` one question about its log.
   * @throws ValidationError when the answer breaks the format (the peer is charged), or the stream's error.
   */
  async ask (peer: PeerId, request: LedgerRequest, options: AbortOptions = {}): Promise<LedgerResponse> {
    const run = this.run
    if (run === undefined) throw new Error('ledger exchange stopped')
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal, options.signal])
    const { signal } = deadline
    try {
      const stream = await this.components.connectionManager.openStream(peer, this.protocol, { signal })
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_RESPONSE_BYTES })
        await lp.write(encodeLedgerRequest(request), { signal })
        const answer = decodeLedgerResponse((await lp.read({ signal })).subarray(), request)
        await stream.close({ signal })
        return answer
      } catch (err) {
        if (err instanceof ValidationError || err instanceof InvalidDataLengthError) this.onOffence(peer.toString(), 'invalid-ledger-message')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
    } finally {
      deadline.clear()
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const run = this.run
    const answer = this.answer
    if (run === undefined || answer === undefined) return stream.abort(new Error('no ledger served'))
    const deadline = deadlineSignal(this.requestTimeoutMs, [run.signal])
    const { signal } = deadline
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_REQUEST_BYTES })
      const request = decodeLedgerRequest((await lp.read({ signal })).subarray())
      await lp.write(encodeLedgerResponse(answer(request)), { signal })
      await stream.close({ signal })
    } catch (err) {
      if (err instanceof ValidationError || err instanceof InvalidDataLengthError) this.onOffence(connection.remotePeer.toString(), 'invalid-ledger-message')
      this.log('answering a ledger request of %p failed - %s', connection.remotePeer, err instanceof Error ? err.message : String(err))
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      deadline.clear()
    }
  }
}

/** The ledger exchange factory for libp2p's `services` map. */
export function ledgerExchange (init: LedgerExchangeInit): (components: LedgerExchangeComponents) => LedgerExchange {
  return components => new LedgerExchange(components, init)
}
