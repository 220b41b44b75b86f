import { TransferError } from '../protocol/index.ts'
import type { UpdateAnnouncement, ValidationCode } from '../protocol/index.ts'
import type { AnnouncementOutcome, RoundNetwork } from '../round/index.ts'

/** How an announcement or a fetched model from a peer ended: accepted, left out by the peer-alignment memory, or its validation code. */
export type PeerVerdict = 'accept' | 'misaligned' | ValidationCode

/** What this node has seen of one peer through the round loop. */
export interface PeerObservation {
  /** The highest round it announced, and that announcement's model hash. */
  lastRound: number
  lastModelHash: string
  /** Its announcements and fetched models, by verdict. */
  readonly verdicts: Map<PeerVerdict, number>
}

/** How one model fetch ended, for metrics. */
export interface FetchObservation {
  readonly result: 'ok' | string
  readonly bytes: number
  readonly seconds: number
}

/** Peers remembered at most; the oldest-seen is forgotten first. */
export const MAX_OBSERVED_PEERS = 4096

/**
 * A RoundNetwork that passes everything through and notes, per peer, the last round and model
 * hash it announced and the verdicts on what it sent, and times every model fetch. The round
 * loop and the network are unchanged by it; the API reads what it noted.
 */
export class ObservedRoundNetwork implements RoundNetwork {
  readonly #inner: RoundNetwork
  readonly #onFetch: (fetch: FetchObservation) => void
  readonly #peers = new Map<string, PeerObservation>()

  constructor (inner: RoundNetwork, onFetch: (fetch: FetchObservation) => void = () => {}) {
    this.#inner = inner
    this.#onFetch = onFetch
  }

  get peerId (): string { return this.#inner.peerId }
  get bulkPort (): number | undefined { return this.#inner.bulkPort }

  /** What was seen of `peerId`, or undefined. */
  observation (peerId: string): Readonly<PeerObservation> | undefined { return this.#peers.get(peerId) }

  async announce (announcement: UpdateAnnouncement, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.#inner.announce(announcement, payload, signal)
  }

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void {
    this.#inner.onAnnouncement(announcement => {
      const outcome = handler(announcement)
      const peer = this.#peer(announcement.peerId)
      if (outcome.verdict === 'accept' && announcement.round >= peer.lastRound) {
        peer.lastRound = announcement.round
        peer.lastModelHash = announcement.modelHash
      }
      // Duplicates are gossip's echo, not the peer's doing.
      const verdict: PeerVerdict = outcome.verdict === 'accept' ? 'accept' : outcome.code ?? 'malformed'
      if (verdict !== 'duplicate') count(peer.verdicts, verdict)
      return outcome
    })
  }

  /** Count the models a round's peer-alignment memory left out (the round summary's `misaligned` verdicts). */
  recordLeftOut (peerIds: readonly string[]): void {
    for (const peerId of peerIds) count(this.#peer(peerId).verdicts, 'misaligned')
  }

  async fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    const started = performance.now()
    try {
      const payload = await this.#inner.fetchPayload(announcement, signal)
      this.#onFetch({ result: 'ok', bytes: payload.byteLength, seconds: (performance.now() - started) / 1000 })
      return payload
    } catch (err) {
      const result = err instanceof TransferError ? err.code : signal.aborted ? 'aborted' : 'error'
      this.#onFetch({ result, bytes: 0, seconds: (performance.now() - started) / 1000 })
      throw err
    }
  }

  peerCount (): number { return this.#inner.peerCount() }

  penalise (peerId: string, code: ValidationCode): void {
    count(this.#peer(peerId).verdicts, code)
    this.#inner.penalise(peerId, code)
  }

  #peer (peerId: string): PeerObservation {
    let peer = this.#peers.get(peerId)
    if (peer === undefined) {
      if (this.#peers.size >= MAX_OBSERVED_PEERS) {
        const oldest = this.#peers.keys().next().value
        if (oldest !== undefined) this.#peers.delete(oldest)
      }
      peer = { lastRound: -1, lastModelHash: '', verdicts: new Map() }
      this.#peers.set(peerId, peer)
    }
    return peer
  }
}

function count<K> (map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}
