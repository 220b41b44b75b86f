import { peerIdFromString } from '@libp2p/peer-id'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { decodeAnnouncement, encodeAnnouncement } from '../protocol/announcement.ts'
import { payloadHash } from '../protocol/model-payload.ts'
import { updateTopic } from '../protocol/topics.ts'
import { ValidationError } from '../protocol/validation-error.ts'
import { ModelTransfer } from '../protocol/model-transfer.ts'
import type { Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { UpdateAnnouncement, ValidationAction, ValidationCode } from '../protocol/index.ts'
import type { ModelTransferInit } from '../protocol/model-transfer.ts'
import type { MeshtrainLibp2p } from './libp2p-node.ts'
import type { AnnouncementVerdict, RoundNetwork } from './round-network.ts'
import { silentLogger } from './logger.ts'
import type { Logger as OperatorLogger } from './logger.ts'

/**
 * How one gossip message on the update topic ended: accepted, a validation code of the codec or
 * of a handler that threw a ValidationError, the handler's own refusal, or a local failure.
 */
export type ValidationOutcome =
  | 'accept'
  | ValidationCode
  | 'rejected-by-handler'
  | 'ignored-by-handler'
  | 'no-handler' // announcement arrived before the round loop registered its handler
  | 'handler-error' // the handler threw something other than a ValidationError (our bug: ignore)
  | 'internal-error' // decoding threw something other than a ValidationError (reject, logged)

/** The node to run over, and options of the round network (all but `networkId` have defaults). */
export interface Libp2pRoundNetworkInit extends ModelTransferInit {
  /** A started node from createMeshtrainLibp2p. */
  libp2p: MeshtrainLibp2p
  /** The network whose update topic and model protocol are used. */
  networkId: string
  /**
   * How many of this node's own recent payloads it keeps serving, newest first.
   * @default 8
   */
  recentPayloads?: number
  /**
   * Operator log sink.
   * @default a sink that drops everything
   */
  log?: OperatorLogger
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
  private readonly payloads = new Map<string, Uint8Array>()
  private readonly recentPayloads: number
  private readonly logger: OperatorLogger
  private readonly log: Logger
  private readonly counts = new Map<ValidationOutcome, number>()
  private handler: ((announcement: UpdateAnnouncement) => AnnouncementVerdict) | undefined
  private started = false

  constructor (init: Libp2pRoundNetworkInit) {
    const node = init.libp2p
    this.node = node
    this.peerId = node.peerId.toString()
    this.topic = updateTopic(init.networkId)
    this.recentPayloads = init.recentPayloads ?? 8
    if (!Number.isInteger(this.recentPayloads) || this.recentPayloads < 1) {
      throw new RangeError(`Libp2pRoundNetworkInit.recentPayloads is ${this.recentPayloads}; a positive integer is allowed`)
    }
    this.logger = init.log ?? silentLogger
    this.log = node.logger.forComponent('meshtrain:round-network')
    this.transfer = new ModelTransfer({
      libp2p: node,
      networkId: init.networkId,
      lookup: hash => this.payloads.get(hash)
    }, transferInit(init))
  }

  /** Subscribe to the update topic, install the validator, serve payloads. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.set(this.topic, async (_source, message) => await this.validate(message))
    pubsub.subscribe(this.topic)
    await this.transfer.start()
    this.started = true
    this.logger.info(`joined ${this.topic} as ${this.peerId}`)
  }

  /** Leave the topic and stop serving payloads. Idempotent. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.transfer.stop()
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.delete(this.topic)
    // Gossipsub throws on unsubscribe once it is stopped; the node may have been stopped first.
    if (this.node.status === 'started') pubsub.unsubscribe(this.topic)
  }

  async announce (announcement: UpdateAnnouncement, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    const hash = payloadHash(payload)
    if (hash !== announcement.modelHash || payload.byteLength !== announcement.byteLength) {
      throw new Error('announce: the payload does not match the announcement\'s hash and byte length')
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

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementVerdict): void {
    this.handler = handler
  }

  /**
   * Pull a payload from its announcer over the model-transfer protocol, dialling it if needed
   * (the node must know an address of the announcer: a direct peer, a bootstrap or mDNS peer).
   * @throws TransferError (`not-found`, `timeout`, `wrong-size`, `hash-mismatch`, ...).
   */
  async fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    const peer: PeerId = peerIdFromString(announcement.peerId)
    return await this.transfer.fetch(peer, announcement.modelHash, announcement.byteLength, { signal })
  }

  peerCount (): number {
    return this.node.services.pubsub.getSubscribers(this.topic)
      .filter(peer => this.node.getConnections(peer).length > 0)
      .length
  }

  /** Validation outcomes on the update topic since start, by outcome; for metrics. */
  validationCounts (): ReadonlyMap<ValidationOutcome, number> {
    return new Map(this.counts)
  }

  private async validate (message: Message): Promise<TopicValidatorResult> {
    // StrictSign: gossipsub has checked the signature and that `from` signed it.
    if (message.type !== 'signed') return this.outcome('malformed', 'reject')
    let announcement: UpdateAnnouncement
    try {
      announcement = await decodeAnnouncement(message.data)
    } catch (err) {
      if (err instanceof ValidationError) {
        this.log('announcement from %p refused - %s', message.from, err.message)
        return this.outcome(err.code, err.action)
      }
      this.logger.warn(`decoding an announcement from ${message.from.toString()} failed: ${String(err)}`)
      return this.outcome('internal-error', 'reject')
    }
    if (announcement.peerId !== message.from.toString()) {
      this.log('announcement by %s relayed as from %p', announcement.peerId, message.from)
      return this.outcome('sender-mismatch', 'reject')
    }
    if (this.handler === undefined) return this.outcome('no-handler', 'ignore')
    let verdict: AnnouncementVerdict
    try {
      verdict = this.handler(announcement)
    } catch (err) {
      if (err instanceof ValidationError) return this.outcome(err.code, err.action)
      this.logger.warn(`the announcement handler threw: ${String(err)}`)
      return this.outcome('handler-error', 'ignore')
    }
    if (verdict === 'accept') return this.outcome('accept', 'accept')
    return this.outcome(verdict === 'reject' ? 'rejected-by-handler' : 'ignored-by-handler', verdict)
  }

  private outcome (outcome: ValidationOutcome, action: ValidationAction | 'accept'): TopicValidatorResult {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
    if (action === 'accept') return TopicValidatorResult.Accept
    return action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }
}

/** The ModelTransferInit part of the init, without undefined values (exactOptionalPropertyTypes). */
function transferInit (init: Libp2pRoundNetworkInit): ModelTransferInit {
  const { maxPayloadBytes, requestTimeoutMs, maxInboundPerPeer, maxInboundTotal } = init
  return Object.fromEntries(Object.entries({ maxPayloadBytes, requestTimeoutMs, maxInboundPerPeer, maxInboundTotal })
    .filter(([, value]) => value !== undefined))
}
