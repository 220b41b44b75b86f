import type { UpdateAnnouncement, ValidationAction, ValidationCode } from '../protocol/index.ts'

/**
 * How many of a node's own most recent payloads a RoundNetwork keeps serving by hash: a few
 * rounds' worth (the libp2p network's default, and the in-process network's fixed store).
 */
export const RECENT_PAYLOADS = 8

/** What the round loop makes of an announcement: use it, or refuse it with a gossipsub action. */
export type AnnouncementVerdict = 'accept' | ValidationAction

/** The verdict on an announcement and, when refused, the code from the one closed set. */
export interface AnnouncementOutcome {
  readonly verdict: AnnouncementVerdict
  /** Why it was refused; undefined when accepted. */
  readonly code?: ValidationCode | undefined
}

/**
 * The narrow interface through which the round loop reaches the network (docs/design.md):
 * the daemon implements it over libp2p, tests and simulations in-process.
 */
export interface RoundNetwork {
  /** Base58 peer id of this node. */
  readonly peerId: string
  /** TCP port of this node's bulk channel, which its announcements advertise; undefined: none. */
  readonly bulkPort?: number | undefined
  /**
   * Publish a signed announcement and serve its payload by hash to anyone who asks, until the
   * payload falls out of the bounded store of recent payloads.
   */
  announce (announcement: UpdateAnnouncement, payload: Uint8Array, signal?: AbortSignal): Promise<void>
  /**
   * Register the one handler for announcements from others. The network has already decoded the
   * bytes and checked the signature and that the sender is the announcer; the handler applies
   * the stateful checks (network id, round window, one model per peer and round) and its verdict
   * decides whether gossip relays the message; its code is counted and logged.
   */
  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void
  /**
   * Pull an announced payload by its hash, from the announcer. Resolves with exactly
   * `announcement.byteLength` bytes whose SHA-256 is `announcement.modelHash` (the network checks
   * it, once, as the bytes arrive); the caller decodes them.
   */
  fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array>
  /** Peers currently connected and on the network's update topic. */
  peerCount (): number
  /**
   * The payload `peerId` announced and served proved invalid in a way only its sender can cause
   * (a code whose action is reject: hash mismatch, wrong size, non-finite values): count it
   * against the peer, as an invalid gossip message is.
   */
  penalise (peerId: string, code: ValidationCode): void
}
