import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { encodeAnnouncement } from '../protocol/index.ts'
import { updateTopic } from '../protocol/index.ts'
import { TransferError, VALIDATION_CODES, ValidationError } from '../protocol/index.ts'
import type { Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { UpdateAnnouncement, ValidationCode } from '../protocol/index.ts'
import type { ModelTransfer, PayloadSource, TransferRequestOutcome } from './model-transfer.ts'
import type { BulkAddress, BulkChannel } from './bulk-channel.ts'
import { SCORE_THRESHOLDS } from './gossip-scoring.ts'
import type { Offence } from './peer-penalties.ts'
import { gossipScore } from './libp2p-node.ts'
import type { MeshtrainLibp2p } from './libp2p-node.ts'
import type { AnnouncementOutcome, RoundNetwork } from '../round/index.ts'
import { RECENT_PAYLOADS, VerifiedAnnouncements, silentLogger } from '../round/index.ts'
import type { Logger as OperatorLogger } from '../round/index.ts'

/**
 * How one gossip message on the update topic ended: accepted, or the code (from the one closed
 * set, VALIDATION_CODES) of the check that refused it, whoever made it: the codec, this network,
 * or the round loop's handler.
 */
export type ValidationOutcome = 'accept' | ValidationCode

/**
 * Announcements from one propagation source validated at once; more are dropped unread
 * (`overloaded`, ignored). Honest peers relay one announcement per peer and round.
 */
export const MAX_VALIDATIONS_PER_PEER = 16

/** Announcements validated at once in total; more are dropped unread (`overloaded`). */
export const MAX_VALIDATIONS_TOTAL = 256


/** Most propagation sources whose refusals are remembered for the graylist report. */
const MAX_TRACKED_SOURCES = 1024

/** A peer that sent refused messages, and whether gossipsub graylisted it (score below the threshold). */
export interface RefusingPeer {
  readonly peerId: string
  /** Its current gossipsub score. */
  readonly score: number
  /** Messages from it that were rejected (provable misbehaviour). */
  readonly rejected: number
  /** Messages from it that were ignored (duplicates not counted). */
  readonly ignored: number
  /** When its first message was rejected, ms since the epoch. */
  readonly firstRejectedAt: number | undefined
  /** When it was first seen below the graylist threshold, ms since the epoch. */
  readonly graylistedAt: number | undefined
  /** Rejected messages from it counted before it was found graylisted. */
  readonly rejectedBeforeGraylist: number | undefined
}

/** Counters of the round network, for metrics (one label per code) and the daemon's status. */
export interface RoundNetworkStats {
  /** Gossip messages on the update topic, by outcome. */
  readonly announcements: Readonly<Partial<Record<ValidationOutcome, number>>>
  /** Inbound model-transfer requests (model protocol and bulk channel together), by outcome. */
  readonly transferRequests: Readonly<Partial<Record<TransferRequestOutcome, number>>>
  /** Payloads this node fetched over the bulk channel, and over the model protocol (after a bulk failure, or from a peer without one). */
  readonly fetches: { readonly bulk: number, readonly modelProtocol: number }
  /** Peers currently below the graylist threshold (gossipsub ignores everything they send). */
  readonly graylisted: readonly RefusingPeer[]
}

interface SourceRecord {
  rejected: number
  ignored: number
  firstRejectedAt: number | undefined
  graylistedAt: number | undefined
  rejectedBeforeGraylist: number | undefined
}

/** The node to run over, and options of the round network (all but `networkId` have defaults). */
export interface Libp2pRoundNetworkInit {
  /** A started node from createMeshtrainLibp2p. */
  libp2p: MeshtrainLibp2p
  /** The network whose update topic and model protocol are used. */
  networkId: string
  /**
   * How many of this node's own recent payloads it keeps serving, newest first.
   * @default RECENT_PAYLOADS (8)
   */
  recentPayloads?: number
  /**
   * Operator log sink.
   * @default a sink that drops everything
   */
  log?: OperatorLogger
  /**
   * Peer ids allowed to announce (the manifest's member list); empty or absent: anyone.
   * @default []
   */
  members?: readonly string[] | ReadonlySet<string>
}

/**
 * {@link RoundNetwork} over a started meshtrain libp2p node: announcements on the gossipsub update
 * topic, payloads over the model-transfer protocol. Start it after the node, stop it before.
 */
export class Libp2pRoundNetwork implements RoundNetwork, Startable {
  readonly peerId: string
  readonly topic: string
  private readonly node: MeshtrainLibp2p
  private readonly transfer: ModelTransfer
  private readonly bulk: BulkChannel
  private readonly fetches = { bulk: 0, modelProtocol: 0 }
  private readonly payloads = new Map<string, Uint8Array>()
  private readonly recentPayloads: number
  private readonly logger: OperatorLogger
  private readonly log: Logger
  private readonly counts = new Map<ValidationOutcome, number>()
  private readonly requestCounts = new Map<TransferRequestOutcome, number>()
  private readonly sources = new Map<string, SourceRecord>()
  private readonly validating = new Map<string, number>()
  private validatingTotal = 0
  /** Read live: a Set given in the init changes when the node adopts a manifest version; empty: anyone. */
  private readonly members: ReadonlySet<string>
  private handler: ((announcement: UpdateAnnouncement) => AnnouncementOutcome) | undefined
  private started = false
  /** Checked before any signature: a repeated announcement is recognised by its hash, not verified again. */
  private readonly verified = new VerifiedAnnouncements()

  constructor (init: Libp2pRoundNetworkInit) {
    const node = init.libp2p
    this.node = node
    this.peerId = node.peerId.toString()
    this.topic = updateTopic(init.networkId)
    this.recentPayloads = init.recentPayloads ?? RECENT_PAYLOADS
    if (!Number.isInteger(this.recentPayloads) || this.recentPayloads < 1) {
      throw new RangeError(`Libp2pRoundNetworkInit.recentPayloads is ${this.recentPayloads}; a positive integer is allowed`)
    }
    this.logger = init.log ?? silentLogger
    this.log = node.logger.forComponent('meshtrain:round-network')
    this.members = init.members instanceof Set ? init.members : new Set(init.members ?? [])
    this.transfer = node.services.modelTransfer
    this.bulk = node.services.bulkChannel
  }

  /** The bulk channel's port, advertised in this node's announcements. */
  get bulkPort (): number | undefined { return this.bulk.port }

  /** Subscribe to the update topic, install the validator, serve payloads. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.set(this.topic, async (source, message) => await this.validate(source, message))
    pubsub.subscribe(this.topic)
    pubsub.addEventListener('gossipsub:heartbeat', this.onHeartbeat)
    const source: PayloadSource = {
      lookup: hash => this.payloads.get(hash),
      onRequest: (peer, outcome) => {
        this.requestCounts.set(outcome, (this.requestCounts.get(outcome) ?? 0) + 1)
        if (outcome !== 'accept') this.log('model request from %p: %s', peer, outcome)
      }
    }
    this.transfer.servePayloads(source)
    this.bulk.servePayloads(source)
    this.started = true
    this.logger.info(`joined ${this.topic} as ${this.peerId}`)
  }

  /** Leave the topic and stop serving payloads. Idempotent. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.transfer.servePayloads(undefined)
    this.bulk.servePayloads(undefined)
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.delete(this.topic)
    pubsub.removeEventListener('gossipsub:heartbeat', this.onHeartbeat)
    // Gossipsub throws on unsubscribe once it is stopped; the node may have been stopped first.
    if (this.node.status === 'started') pubsub.unsubscribe(this.topic)
  }

  async announce (announcement: UpdateAnnouncement, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    // The round loop hashed the payload once to sign it: its hash is taken from the announcement,
    // not computed again on every repeat (a wrong one would only make peers refuse this node's model).
    const hash = announcement.modelHash
    if (payload.byteLength !== announcement.byteLength) {
      throw new Error('announce: the payload\'s size differs from the announcement\'s byte length')
    }
    // Served before it is announced, so an eager peer never asks for a payload we lack.
    this.payloads.delete(hash)
    this.payloads.set(hash, payload)
    for (const old of this.payloads.keys()) {
      if (this.payloads.size <= this.recentPayloads) break
      this.payloads.delete(old)
    }
    const { recipients } = await this.node.services.pubsub.publish(this.topic, encodeAnnouncement(announcement))
    this.log('announced round %d model %s to %d peers', announcement.round, hash, recipients.length)
    if (recipients.length === 0) this.logger.debug(`round ${announcement.round}: announced with no peer on the topic`)
  }

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void {
    this.handler = handler
  }

  /**
   * Pull a payload from its announcer: over its bulk channel when it advertises one and this
   * node knows its address, else (or when the bulk channel fails in a way honest peers meet too)
   * over the model-transfer protocol, dialling it if needed (the node must know an address of the
   * announcer: a direct peer, a bootstrap or mDNS peer).
   * @throws TransferError (`not-found`, `timeout`, `wrong-size`, `hash-mismatch`, ...).
   */
  async fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    const peer: PeerId = peerIdFromString(announcement.peerId)
    const address = announcement.bulkPort === undefined ? undefined : await this.bulkAddress(peer, announcement.bulkPort)
    if (address !== undefined) {
      try {
        const payload = await this.bulk.fetch(announcement.peerId, address, announcement.modelHash, announcement.byteLength, { signal })
        this.fetches.bulk++
        return payload
      } catch (err) {
        // Bytes that contradict the signed announcement came from the announcer itself (its
        // certificate proved it): no second chance. Anything else, honest peers meet too.
        if (err instanceof TransferError && (err.code === 'hash-mismatch' || err.code === 'wrong-size' || err.code === 'aborted')) throw err
        if (signal.aborted) throw err
        this.logger.debug(`bulk channel of ${announcement.peerId} failed (${err instanceof Error ? err.message : String(err)}): fetching over the model protocol`, { peer: announcement.peerId })
      }
    }
    const payload = await this.transfer.fetch(peer, announcement.modelHash, announcement.byteLength, { signal })
    this.fetches.modelProtocol++
    return payload
  }

  /**
   * The announcer's bulk channel: the port it advertised, at the host of a connection to it or,
   * when there is none (gossip relayed the announcement; a node keeps connections to a bounded
   * number of peers, peer-degree.ts), of an address the peer store knows it by, or network sync
   * heard of. Either way the
   * channel's certificate proves the peer, so an address learnt from others is safe to try.
   */
  private async bulkAddress (peer: PeerId, port: number): Promise<BulkAddress | undefined> {
    const connected = this.node.getConnections(peer).map(c => c.remoteAddr)
    const stored = connected.length > 0 ? [] : await this.node.peerStore.get(peer).then(p => p.addresses.map(a => a.multiaddr), () => [])
    const learned = connected.length > 0 || stored.length > 0 ? [] : learnedAddresses(this.node.services.networkSync.learnedPeers().get(peer.toString()))
    for (const address of [...connected, ...stored, ...learned]) {
      const host = address.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
      if (host !== undefined) return { host, port }
    }
    return undefined
  }

  peerCount (): number {
    return this.topicPeers().length
  }

  /** Peers this node has heard of through network sync, connected or not, as peer id strings. */
  learnedPeers (): string[] {
    return [...this.node.services.networkSync.learnedPeers().keys()]
  }

  /** Peers connected now and subscribed to the update topic, as peer id strings. */
  topicPeers (): string[] {
    return this.node.services.pubsub.getSubscribers(this.topic)
      .filter(peer => this.node.getConnections(peer).length > 0)
      .map(String)
  }

  /** Validation outcomes on the update topic since start, by outcome; for metrics. */
  validationCounts (): ReadonlyMap<ValidationOutcome, number> {
    return new Map(this.counts)
  }

  /** Outcome counters and the peers gossipsub currently graylists. */
  penalise (peerId: string, code: ValidationCode): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1)
    this.node.services.peerPenalties.add(peerId, offenceOf(code))
    this.log('payload from %s refused - %s', peerId, code)
  }

  stats (): RoundNetworkStats {
    this.checkGraylist()
    const graylisted: RefusingPeer[] = []
    for (const [peerId, record] of this.sources) {
      const score = gossipScore(this.node, peerId)
      if (score < SCORE_THRESHOLDS.graylistThreshold) graylisted.push({ peerId, score, ...record })
    }
    return {
      announcements: Object.fromEntries(this.counts),
      transferRequests: Object.fromEntries(this.requestCounts),
      fetches: { ...this.fetches },
      graylisted
    }
  }

  /** What is known about one propagation source's refused messages; undefined if none were refused. */
  refusingPeer (peerId: string): RefusingPeer | undefined {
    this.checkGraylist()
    const record = this.sources.get(peerId)
    if (record === undefined) return undefined
    return { peerId, score: gossipScore(this.node, peerId), ...record }
  }

  /** Gossipsub recomputes scores on its heartbeat: note peers that have just crossed the graylist threshold. */
  private readonly onHeartbeat = (): void => { this.checkGraylist() }

  private checkGraylist (): void {
    for (const [peerId, record] of this.sources) {
      if (record.graylistedAt !== undefined || record.rejected === 0) continue
      const score = gossipScore(this.node, peerId)
      if (score >= SCORE_THRESHOLDS.graylistThreshold) continue
      record.graylistedAt = Date.now()
      record.rejectedBeforeGraylist = record.rejected
      const afterMs = record.graylistedAt - (record.firstRejectedAt ?? record.graylistedAt)
      // Gossipsub starts a reconnecting peer with a clean score: ban it (growing back-off), then
      // hang up, unless the ban enforcement (network/ban-enforcement.ts) got there first.
      const bans = this.node.services.peerBans
      const ms = bans.isBanned(peerId) ? undefined : bans.banWithBackoff(peerId)
      this.logger.warn(`peer ${peerId} graylisted (gossip score ${score.toFixed(1)}) after ${record.rejected} rejected messages in ${afterMs} ms${ms === undefined ? '' : `: disconnected and refused for ${ms / 60_000} min`}`, { peer: peerId })
      if (ms !== undefined) this.node.hangUp(peerIdFromString(peerId)).catch((err: unknown) => { this.logger.debug(`hanging up on ${peerId} failed: ${String(err)}`) })
    }
  }

  /**
   * The one validation pipeline for the update topic (gossipsub has already checked the message
   * signature and frame size): a bounded number in flight per source, then the codec (size,
   * decode, shape and finiteness, signature; bytes verified before are recognised by their hash and
   * not verified again, so a repeated announcement costs no signature check), the sender, membership, then the round loop's
   * stateful checks (network id, payload size, round window, one model per peer and round).
   * Every outcome is counted and logged with its code.
   */
  private async validate (source: PeerId, message: Message): Promise<TopicValidatorResult> {
    const peer = source.toString()
    const inFlight = this.validating.get(peer) ?? 0
    if (inFlight >= MAX_VALIDATIONS_PER_PEER || this.validatingTotal >= MAX_VALIDATIONS_TOTAL) {
      return this.outcome(peer, 'overloaded', 'too many messages in flight')
    }
    this.validating.set(peer, inFlight + 1)
    this.validatingTotal++
    try {
      const { code, detail } = await this.check(message)
      return this.outcome(peer, code, detail)
    } finally {
      const left = (this.validating.get(peer) ?? 1) - 1
      if (left === 0) this.validating.delete(peer)
      else this.validating.set(peer, left)
      this.validatingTotal--
    }
  }

  private async check (message: Message): Promise<{ code: ValidationOutcome, detail: string }> {
    // StrictSign: gossipsub has checked the signature and that `from` signed it.
    if (message.type !== 'signed') return { code: 'malformed', detail: 'unsigned message' }
    let announcement: UpdateAnnouncement
    try {
      announcement = await this.verified.decode(message.data)
    } catch (err) {
      if (err instanceof ValidationError) return { code: err.code, detail: err.message }
      this.logger.warn(`decoding an announcement from ${message.from.toString()} failed: ${String(err)}`)
      return { code: 'internal-error', detail: String(err) }
    }
    if (announcement.peerId !== message.from.toString()) {
      return { code: 'sender-mismatch', detail: `announcement by ${announcement.peerId} published by ${message.from.toString()}` }
    }
    if (this.members.size > 0 && !this.members.has(announcement.peerId)) {
      return { code: 'not-a-member', detail: announcement.peerId }
    }
    if (this.handler === undefined) return { code: 'no-handler', detail: 'round loop not ready' }
    try {
      const { verdict, code } = this.handler(announcement)
      if (verdict === 'accept') return { code: 'accept', detail: `round ${announcement.round}` }
      // Two signed models for one round: the signer's offence, whoever relayed the second.
      if (code === 'equivocation') this.node.services.peerPenalties.add(announcement.peerId, 'equivocation')
      return { code: code ?? 'internal-error', detail: `round ${announcement.round} from ${announcement.peerId}` }
    } catch (err) {
      if (err instanceof ValidationError) return { code: err.code, detail: err.message }
      this.logger.warn(`the announcement handler threw: ${String(err)}`)
      return { code: 'internal-error', detail: String(err) }
    }
  }

  private outcome (peer: string, outcome: ValidationOutcome, detail: string): TopicValidatorResult {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
    if (outcome === 'accept') return TopicValidatorResult.Accept
    this.log('announcement via %s: %s - %s', peer, outcome, detail)
    const action = VALIDATION_CODES[outcome]
    if (outcome !== 'duplicate') this.recordRefusal(peer, action)
    return action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  private recordRefusal (peer: string, action: 'reject' | 'ignore'): void {
    let record = this.sources.get(peer)
    if (record === undefined) {
      if (this.sources.size >= MAX_TRACKED_SOURCES) {
        const oldest = this.sources.keys().next().value
        if (oldest !== undefined) this.sources.delete(oldest)
      }
      record = { rejected: 0, ignored: 0, firstRejectedAt: undefined, graylistedAt: undefined, rejectedBeforeGraylist: undefined }
      this.sources.set(peer, record)
    }
    if (action === 'ignore') {
      record.ignored++
      return
    }
    record.rejected++
    record.firstRejectedAt ??= Date.now()
  }
}

/** The offence a provably bad payload (or announcement) counts as in the one penalty score. */
function offenceOf (code: ValidationCode): Offence {
  return code === 'equivocation' ? 'equivocation' : 'invalid-payload'
}

/** The addresses a peer's sync answer gave for a peer, parsed; those that do not parse are skipped. */
function learnedAddresses (texts: readonly string[] | undefined): Multiaddr[] {
  const addresses: Multiaddr[] = []
  for (const text of texts ?? []) {
    try {
      addresses.push(multiaddr(text))
    } catch {
      // Not a multiaddr: the answer's other addresses may still serve.
    }
  }
  return addresses
}
