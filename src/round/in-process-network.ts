import { decodeAnnouncement, encodeAnnouncement, payloadHash } from '../protocol/index.ts'
import type { UpdateAnnouncement } from '../protocol/index.ts'
import { RECENT_PAYLOADS } from './round-network.ts'
import type { AnnouncementOutcome, RoundNetwork } from './round-network.ts'

/**
 * A network of round-loop members inside one process: the same announcement codec and checks as
 * over libp2p (bytes on the wire, signatures, verdicts), without sockets. Used by tests and
 * simulations. Every member sees every other member, as on one gossipsub topic.
 */
export class InProcessNetwork {
  readonly #members = new Map<string, InProcessMember>()

  /** Add a member; its peer id must match the key that signs its announcements. */
  join (peerId: string): RoundNetwork & { leave(): void, readonly penalties: ReadonlyMap<string, number> } {
    if (this.#members.has(peerId)) throw new Error(`${peerId} already joined`)
    const member = new InProcessMember(peerId, this)
    this.#members.set(peerId, member)
    return member
  }

  /** @internal */ members (): Iterable<InProcessMember> { return this.#members.values() }
  /** @internal */ member (peerId: string): InProcessMember | undefined { return this.#members.get(peerId) }
  /** @internal */ remove (peerId: string): void { this.#members.delete(peerId) }
}

class InProcessMember implements RoundNetwork {
  readonly peerId: string
  readonly #network: InProcessNetwork
  readonly #payloads = new Map<string, Uint8Array>()
  #handler: ((announcement: UpdateAnnouncement) => AnnouncementOutcome) | undefined

  constructor (peerId: string, network: InProcessNetwork) {
    this.peerId = peerId
    this.#network = network
  }

  async announce (announcement: UpdateAnnouncement, payload: Uint8Array): Promise<void> {
    this.#payloads.set(payloadHash(payload), payload)
    while (this.#payloads.size > RECENT_PAYLOADS) this.#payloads.delete(this.#payloads.keys().next().value as string)
    const bytes = encodeAnnouncement(announcement)
    for (const member of this.#network.members()) {
      if (member !== this) member.deliver(bytes, this.peerId)
    }
  }

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void {
    this.#handler = handler
  }

  async fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    signal.throwIfAborted()
    const payload = this.#network.member(announcement.peerId)?.payload(announcement.modelHash)
    if (payload === undefined) throw new Error(`${announcement.peerId} does not hold ${announcement.modelHash}`)
    if (payload.byteLength !== announcement.byteLength) throw new Error('payload size differs from the announcement')
    return payload
  }

  peerCount (): number {
    let count = 0
    for (const member of this.#network.members()) if (member !== this) count++
    return count
  }

  payload (hash: string): Uint8Array | undefined {
    return this.#payloads.get(hash)
  }

  /** Penalties by peer; in-process members keep no scores, so they are only counted. */
  readonly penalties = new Map<string, number>()

  penalise (peerId: string): void {
    this.penalties.set(peerId, (this.penalties.get(peerId) ?? 0) + 1)
  }

  leave (): void {
    this.#network.remove(this.peerId)
  }

  /** Decode and hand to the handler on a later tick, as a socket would. */
  deliver (bytes: Uint8Array, from: string): void {
    setImmediate(() => {
      decodeAnnouncement(bytes).then(announcement => {
        if (announcement.peerId === from) this.#handler?.(announcement)
      }, () => { /* refused by validation: dropped, as gossipsub would */ })
    })
  }
}
