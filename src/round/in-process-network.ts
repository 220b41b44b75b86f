import { encodeAnnouncement } from '../protocol/index.ts'
import type { UpdateAnnouncement } from '../protocol/index.ts'
import { RECENT_PAYLOADS } from './round-network.ts'
import type { AnnouncementOutcome, RoundNetwork } from './round-network.ts'
import { VerifiedAnnouncements } from './verified-announcements.ts'

/** What crossed an in-process network so far (for simulations and tests). */
export interface InProcessTraffic {
  /** Announcements published, repeats included. */
  readonly publications: number
  /** Signature checks run: one per distinct announcement, however many members receive it. */
  readonly verifications: number
  /** Announcements handed to members (one per recipient and publication). */
  readonly deliveries: number
  /** Announcement bytes handed to members, summed over recipients. */
  readonly announcementBytes: number
  /** Payload bytes served to fetching members. */
  readonly payloadBytes: number
}

/**
 * A network of round-loop members inside one process: the same announcement codec and checks as
 * over libp2p (bytes on the wire, signatures, verdicts), without sockets. Used by tests and
 * simulations. Every member sees every other member, as on one gossipsub topic.
 *
 * Every recipient of a publication would verify the same bytes with the same result, so the
 * network decodes and verifies each distinct announcement once ({@link VerifiedAnnouncements})
 * and hands the result to each member's handler, whose stateful checks still run per member.
 */
export class InProcessNetwork {
  /** How many of its own recent payloads each member keeps serving (RECENT_PAYLOADS unless given). */
  readonly recentPayloads: number
  readonly #members = new Map<string, InProcessMember>()
  readonly #verified = new VerifiedAnnouncements()
  readonly #traffic = { publications: 0, deliveries: 0, announcementBytes: 0, payloadBytes: 0 }

  /**
   * @param init.recentPayloads payloads each member keeps serving, newest first; a simulation of
   *   many peers keeps the round window's worth (W + 1) to save memory. @default RECENT_PAYLOADS (8)
   */
  constructor (init: { readonly recentPayloads?: number } = {}) {
    this.recentPayloads = init.recentPayloads ?? RECENT_PAYLOADS
    if (!Number.isInteger(this.recentPayloads) || this.recentPayloads < 1) throw new RangeError(`recentPayloads is ${this.recentPayloads}; a positive integer is allowed`)
  }

  /** Add a member; its peer id must match the key that signs its announcements. */
  join (peerId: string): RoundNetwork & { leave(): void, readonly penalties: ReadonlyMap<string, number> } {
    if (this.#members.has(peerId)) throw new Error(`${peerId} already joined`)
    const member = new InProcessMember(peerId, this)
    this.#members.set(peerId, member)
    return member
  }

  /** Counters of what crossed the network so far. */
  traffic (): InProcessTraffic {
    return { ...this.#traffic, verifications: this.#verified.verifications }
  }

  /** @internal Publish `bytes` from `from` to every other member, on a later tick (as a socket would). */
  publish (bytes: Uint8Array, from: string): void {
    this.#traffic.publications++
    const recipients = [...this.#members.values()].filter(m => m.peerId !== from)
    setImmediate(() => {
      this.#verified.decode(bytes).then(announcement => {
        if (announcement.peerId !== from) return // sent by another than its signer: refused, as over libp2p
        for (const member of recipients) {
          this.#traffic.deliveries++
          this.#traffic.announcementBytes += bytes.byteLength
          member.receive(announcement)
        }
      }, () => { /* refused by validation: dropped, as gossipsub would */ })
    })
  }

  /** @internal */ member (peerId: string): InProcessMember | undefined { return this.#members.get(peerId) }
  /** @internal */ remove (peerId: string): void { this.#members.delete(peerId) }
  /** @internal */ count (): number { return this.#members.size }
  /** @internal */ served (bytes: number): void { this.#traffic.payloadBytes += bytes }
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

  /** Serve `payload` under the announcement's hash (the caller computed it: no second hash) and publish. */
  async announce (announcement: UpdateAnnouncement, payload: Uint8Array): Promise<void> {
    if (payload.byteLength !== announcement.byteLength) throw new Error('announce: the payload\'s size differs from the announcement\'s byte length')
    this.#payloads.delete(announcement.modelHash)
    this.#payloads.set(announcement.modelHash, payload)
    while (this.#payloads.size > this.#network.recentPayloads) this.#payloads.delete(this.#payloads.keys().next().value as string)
    this.#network.publish(encodeAnnouncement(announcement), this.peerId)
  }

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void {
    this.#handler = handler
  }

  async fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    signal.throwIfAborted()
    const payload = this.#network.member(announcement.peerId)?.payload(announcement.modelHash)
    if (payload === undefined) throw new Error(`${announcement.peerId} does not hold ${announcement.modelHash}`)
    if (payload.byteLength !== announcement.byteLength) throw new Error('payload size differs from the announcement')
    this.#network.served(payload.byteLength)
    return payload
  }

  peerCount (): number {
    return this.#network.count() - (this.#network.member(this.peerId) === this ? 1 : 0)
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

  /** A verified announcement from another member, handed to the round loop's stateful checks. */
  receive (announcement: UpdateAnnouncement): void {
    this.#handler?.(announcement)
  }
}
