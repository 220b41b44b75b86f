import type { PrivateKey } from '@libp2p/interface'
import type { Aggregator } from '../aggregation/index.ts'
import { PeerAlignmentMemory } from './peer-alignment.ts'
import type { AlignmentMeasure, PeerAlignmentState } from './peer-alignment.ts'
import {
  PAYLOAD_ENCODINGS, TransferError, ValidationError, decodeModelOnce, encodeOwnModel, encodedPayloadBytes, modelEncoding, payloadHash, signAnnouncement
} from '../protocol/index.ts'
import type { AggregationSpec, AnnouncedPrivacy, ModelEncoding, NetworkManifest, UpdateAnnouncement, ValidationCode } from '../protocol/index.ts'
import { createRng, deriveSeed } from '../model/index.ts'
import type { Rng } from '../model/index.ts'
import { PeerSample } from './peer-sample.ts'
import { RoundInbox } from './round-inbox.ts'
import type { EquivocationEvidence } from './round-inbox.ts'
import type { AnnouncementOutcome, RoundNetwork } from './round-network.ts'
import type { Logger } from './logger.ts'
import { wallClock } from './round-clock.ts'
import { deadlineSignal } from './deadline-signal.ts'
import type { RoundClock } from './round-clock.ts'
import { reannounceDelayMs, reannounceFirstMs, roundQuorum, sampleSize, scaledDeadlineMs, standInDelayMs } from './round-scale.ts'

/** The local training a round needs; the daemon runs it in a worker thread. */
export interface LocalTrainer {
  /** Train from `weights`; `round` is the round it trains for (a restarted node's journal uses it). */
  train (weights: Float32Array, round?: number): Promise<{ weights: Float32Array, loss: number, sampleCount: number }>
  /** Accuracy on the node's own held-out examples. */
  evaluateHoldout (weights: Float32Array): Promise<{ accuracy: number, loss: number }>
}

/** What one finished round reports. */
export interface RoundSummary {
  readonly round: number
  readonly peers: number
  /** Peer models that went into the aggregate. */
  readonly used: number
  /** Peer models announced for the round but refused (fetch failed, bad payload, equivocation). */
  readonly refused: number
  /** True when too few inputs met the rule's precondition and the node kept its own model. */
  readonly keptOwn: boolean
  /** Inputs the round had for the rule: the node's own model plus the peer models fetched. */
  readonly inputs: number
  /** Inputs the rule needs (its `minInputs`). */
  readonly needed: number
  /** Peers whose announcements for this round were accepted, sorted. */
  readonly heard: readonly string[]
  readonly loss: number
  readonly accuracy: number
  /** The model after aggregation, the one the next round starts from. */
  readonly weights: Float32Array
  readonly durationMs: number
  /** Time spent in the aggregation rule (milliseconds; 0 when the node kept its own model). */
  readonly aggregationMs: number
  /** Payload bytes fetched for this round's models. */
  readonly bytesFetched: number
  /** Set when this round was reached by catching up with the network rather than by training. */
  readonly caughtUpFrom?: number
  /** Under a peer-alignment memory (the rule's `alignment`): what it remembers after the round, for the daemon to save. */
  readonly alignment?: PeerAlignmentState
  /** What went into the round, for the audit ledger (the daemon records it; the loop does not know the ledger). */
  readonly trace: RoundTrace
}

/** A peer's announced model in a round, and what the node made of it. */
export interface PeerInput {
  readonly announcement: UpdateAnnouncement
  /** The verified model, when it was fetched in time. */
  readonly weights?: Float32Array
  /**
   * `accept`, or why it was refused (`fetch-failed`: the transfer failed in a way honest peers also
   * meet; `misaligned`: valid, but left out by the peer-alignment memory).
   */
  readonly verdict: 'accept' | 'misaligned' | ValidationCode | 'fetch-failed'
  /** Whether it went into the aggregate. */
  readonly used: boolean
}

/** The inputs and outputs of one round beyond the summary's figures. */
export interface RoundTrace {
  /** The model the round started from. */
  readonly start: Float32Array
  /** The node's own trained model (its start model when training diverged). */
  readonly trained: Float32Array
  /** The announcement the node published; undefined when training diverged and it sat the round out. */
  readonly announcement?: UpdateAnnouncement
  /** Every peer announcement accepted for the round (equivocators' included), in peer id order. */
  readonly peerInputs: readonly PeerInput[]
  /** Equivocations found in the round. */
  readonly evidence: readonly EquivocationEvidence[]
  /** The rule and options the round aggregated with (the manifest version in force). */
  readonly aggregation: AggregationSpec
}

/** How a node that fell behind caught up: the peers' models it took its weights from. */
export interface CatchUpTrace {
  /** The round the node continues at. */
  readonly round: number
  /** The peers' round whose latest models it fetched. */
  readonly peerRound: number
  /** The models fetched, in the order the rule took them (the first in the node's own place). */
  readonly inputs: ReadonlyArray<{ readonly announcement: UpdateAnnouncement, readonly weights: Float32Array }>
  /** Whether the rule combined them; when too few arrived the node took the first, or kept its own when none did. */
  readonly aggregated: boolean
  readonly aggregation: AggregationSpec
  /** The weights it continues from. */
  readonly weights: Float32Array
}

export interface RoundLoopInit {
  readonly manifest: NetworkManifest
  readonly networkId: string
  readonly privateKey: PrivateKey
  readonly peerId: string
  readonly parameterCount: number
  readonly datasetFingerprint: string
  readonly startRound: number
  readonly startWeights: Float32Array
  /** Stop after this many rounds in total (counting from round 0); undefined runs until aborted. */
  readonly rounds?: number
  /**
   * Shortest time from one round's start to the next's, ms: a round that closes sooner (its quorum
   * in) waits out the rest before the node trains again, while the next round's announcements
   * come in. @default 0: as fast as the quorum allows
   */
  readonly minRoundMs?: number
  /**
   * The first pause before a waiting node repeats its announcement, ms; each repeat doubles it
   * (round-scale.ts, reannounceDelayMs).
   * @default reannounceFirstMs(the round's deadline): 1 s, or 1/8 of a longer deadline
   */
  readonly reannounceFirstMs?: number
  /** What the peer-alignment memory remembered when the node stopped (peer-alignment.ts); used while the rule has one. */
  readonly alignmentState?: PeerAlignmentState
}

export interface RoundLoopComponents {
  readonly network: RoundNetwork
  readonly trainer: LocalTrainer
  readonly aggregator: Aggregator
  readonly log: Logger
  /** Called after every round, before the next starts (the daemon prints and checkpoints here). */
  readonly onRound: (summary: RoundSummary) => Promise<void> | void
  /** The node's signed ledger checkpoint for its next announcement (text form); no ledger announces ''. */
  readonly ledgerHead?: () => string
  /** The privacy spent, announced with each model on a private network (asked after the round's training). */
  readonly privacy?: () => AnnouncedPrivacy
  /** Called after the node caught up with the network, before its next round (the daemon records it in the ledger). */
  readonly onCatchUp?: (trace: CatchUpTrace) => Promise<void> | void
  /**
   * The manifest and rule that govern a round, when they may change while the loop runs (adopted
   * manifest versions from their `fromRound`); asked at every round's start. Absent: the init's
   * manifest and the aggregator above, always.
   */
  readonly governance?: (round: number) => { readonly version: number, readonly manifest: NetworkManifest, readonly aggregator: Aggregator }
  /** What the peer-alignment memory measures with (a simulation shares one across its loops). @default PLAIN_ALIGNMENT_MEASURE */
  readonly alignmentMeasure?: AlignmentMeasure
  /**
   * The time rounds go by: their start and duration, deadline, repeats and stand-ins (a model
   * fetch's own timeout stays on the wall clock: it bounds a transfer). @default wallClock
   */
  readonly clock?: RoundClock
}

/** Most peers remembered as announcers, the pool a round's fanout sample is drawn from. */
const MAX_ANNOUNCERS = 4096

interface FetchedModel { readonly peerId: string, readonly weights: Float32Array }

/**
 * Decentralised gossip averaging with a robust rule (docs/design.md, "The learning protocol"):
 * train, announce, fetch, aggregate, record; rounds kept in step by the announcements.
 * A node that finds the network beyond its round window catches up from a robust aggregate.
 */
export class RoundLoop {
  readonly #init: RoundLoopInit
  readonly #c: RoundLoopComponents
  readonly #inbox: RoundInbox
  /** Verified models by round and peer, fetched as soon as their announcements arrive. */
  readonly #models = new Map<number, Map<string, Float32Array>>()
  readonly #refused = new Map<number, Map<string, ValidationCode | 'fetch-failed'>>()
  readonly #bytesFetched = new Map<number, number>()
  /** With `rounds.fanout`: the peers sampled per round, drawn from those heard announcing so far. */
  readonly #samples = new Map<number, PeerSample>()
  readonly #announcers = new Set<string>()
  #announcerOrder: readonly string[] = []
  /** This node's own recent announcements by round, to repeat to peers still waiting on that round. */
  readonly #ownAnnouncements = new Map<number, { readonly repeat: () => Promise<void>, repeatedAt: number, repeats: number }>()
  readonly #clock: RoundClock
  #wake: (() => void) | undefined
  #signal: AbortSignal = new AbortController().signal
  /** The manifest and rule of the current round (see RoundLoopComponents.governance). */
  #manifest: NetworkManifest
  #aggregator: Aggregator
  /** Kept whatever the rule, so that a manifest version turning the memory off and on again keeps what it learnt. */
  readonly #alignment: PeerAlignmentMemory
  #version: number | undefined
  /** How models travel: the genesis manifest's, as the model itself never changes. */
  readonly #encoding: ModelEncoding

  constructor (init: RoundLoopInit, components: RoundLoopComponents) {
    this.#init = init
    this.#c = components
    this.#clock = components.clock ?? wallClock
    this.#manifest = init.manifest
    this.#aggregator = components.aggregator
    this.#alignment = new PeerAlignmentMemory(init.alignmentState, components.alignmentMeasure)
    this.#encoding = modelEncoding(init.manifest.model)
    this.#inbox = new RoundInbox({
      networkId: init.networkId,
      selfId: init.peerId,
      payloadBytes: encodedPayloadBytes(this.#encoding, init.parameterCount),
      encoding: PAYLOAD_ENCODINGS[this.#encoding],
      window: init.manifest.rounds.window,
      ...(init.manifest.privacy === undefined ? {} : { privacyDelta: init.manifest.privacy.delta })
    })
    components.network.onAnnouncement(a => this.#onAnnouncement(a))
  }

  /** Peers heard announcing a model (any round in the window) since the loop was made, at most 4096. */
  get announcers (): number { return this.#announcers.size }

  /** Equivocation evidence gathered so far. */
  get evidence (): RoundInbox['evidence'] { return this.#inbox.evidence }

  /** Run rounds until `rounds` are done or the signal aborts; resolves with the last model. */
  async run (signal: AbortSignal): Promise<Float32Array> {
    this.#signal = signal
    let round = this.#init.startRound
    let weights = this.#init.startWeights
    const lastRound = (this.#init.rounds ?? Infinity) - 1
    this.#govern(round)
    this.#inbox.setRound(round, this.#manifest.rounds.window)
    while (round <= lastRound && !signal.aborted) {
      const caughtUp = await this.#catchUp(weights)
      if (caughtUp !== undefined) {
        this.#c.log.info(`caught up from round ${round} to round ${caughtUp.round} with ${caughtUp.used} peer models`, { round: caughtUp.round })
        round = caughtUp.round
        weights = caughtUp.weights
        await this.#c.onCatchUp?.(caughtUp.trace)
        this.#setRound(round)
        continue
      }
      const startedAt = this.#clock.now()
      const summary = await this.#runRound(round, weights)
      if (summary === undefined) continue // the network moved on during the round: catch up
      await this.#c.onRound(summary)
      weights = summary.weights
      this.#setRound(++round)
      if (round <= lastRound) await this.#pause(startedAt + (this.#init.minRoundMs ?? 0) - this.#clock.now())
    }
    return weights
  }

  /** Wait `ms` on the round clock, or until the loop is stopped; unlike a round's wait, arriving models do not end it. */
  #pause (ms: number): Promise<void> {
    if (ms <= 0 || this.#signal.aborted) return Promise.resolve()
    return new Promise(resolve => {
      const done = (): void => {
        cancel()
        this.#signal.removeEventListener('abort', done)
        resolve()
      }
      const cancel = this.#clock.after(ms, done)
      this.#signal.addEventListener('abort', done, { once: true })
    })
  }

  async #runRound (round: number, start: Float32Array): Promise<RoundSummary | undefined> {
    const startedAt = this.#clock.now()
    const { networkId, privateKey, peerId, datasetFingerprint } = this.#init
    const trained = await this.#c.trainer.train(start, round)
    if (!Number.isFinite(trained.loss) || !allFinite(trained.weights)) {
      // Peers would refuse such a model (and count it against this node): say so and sit the round out.
      this.#c.log.warn(`round ${round}: local training diverged (non-finite loss or weights): not announcing; aggregating from the model it started with`, { round })
      return this.#closeRound(round, { weights: start, loss: trained.loss }, startedAt, async () => {}, { start, announcement: undefined })
    }
    // The node aggregates its own model as its peers receive it, so that every aggregate (and the
    // ledger) takes the models that travelled.
    const { payload, sent: sentWeights } = encodeOwnModel(trained.weights, this.#encoding)
    const sent = { ...trained, weights: sentWeights }
    const announcement = await signAnnouncement({
      networkId,
      peerId,
      round,
      modelHash: payloadHash(payload),
      byteLength: payload.byteLength,
      encoding: PAYLOAD_ENCODINGS[this.#encoding],
      sampleCount: trained.sampleCount,
      loss: trained.loss,
      datasetFingerprint,
      ledgerHead: this.#c.ledgerHead?.() ?? '',
      ...(this.#c.network.bulkPort === undefined ? {} : { bulkPort: this.#c.network.bulkPort }),
      ...(this.#c.privacy === undefined ? {} : { privacy: this.#c.privacy() })
    }, privateKey)
    const repeat = async (): Promise<void> => this.#c.network.announce(announcement, payload, this.#signal)
    await repeat()
    this.#ownAnnouncements.set(round, { repeat, repeatedAt: this.#clock.now(), repeats: 0 })
    return this.#closeRound(round, sent, startedAt, repeat, { start, announcement })
  }

  /** Wait for the round's quorum, aggregate and summarise; undefined when the node must catch up. */
  async #closeRound (
    round: number, trained: { weights: Float32Array, loss: number }, startedAt: number, reannounce: () => Promise<void>,
    own: { start: Float32Array, announcement: UpdateAnnouncement | undefined }
  ): Promise<RoundSummary | undefined> {
    const closed = await this.#waitForQuorum(round, this.#clock.now() + this.#deadlineMs(), reannounce)
    if (closed === 'behind' || closed === 'aborted') return undefined
    const received = this.#peerModels(round)
    const alignment = this.#aggregator.alignment
    const peers = alignment === undefined ? received : this.#alignment.select(alignment, own.start, trained.weights, received)
    const misaligned = new Set(received.map(p => p.peerId))
    for (const p of peers) misaligned.delete(p.peerId)
    let weights = trained.weights
    const keptOwn = 1 + peers.length < this.#aggregator.minInputs
    const aggregationStart = performance.now()
    if (keptOwn) {
      const leftOut = misaligned.size === 0 ? '' : ` (${misaligned.size} left out by the peer-alignment memory)`
      this.#c.log.warn(`round ${round}: ${1 + peers.length} inputs${leftOut}, rule ${this.#aggregator.name} needs ${this.#aggregator.minInputs}: keeping own model`, { round })
    } else {
      weights = this.#aggregator.aggregate(trained.weights, peers.map(p => p.weights))
    }
    const aggregationMs = keptOwn ? 0 : performance.now() - aggregationStart
    const { accuracy } = await this.#c.trainer.evaluateHoldout(weights)
    return {
      round,
      peers: this.#c.network.peerCount(),
      used: keptOwn ? 0 : peers.length,
      refused: (this.#refused.get(round)?.size ?? 0) + this.#inbox.equivocators(round),
      keptOwn,
      inputs: 1 + peers.length,
      needed: this.#aggregator.minInputs,
      heard: this.#inbox.announcements(round).map(a => a.peerId).sort(),
      loss: trained.loss,
      accuracy,
      weights,
      durationMs: this.#clock.now() - startedAt,
      aggregationMs,
      bytesFetched: this.#bytesFetched.get(round) ?? 0,
      trace: this.#trace(round, trained.weights, own, keptOwn ? [] : peers, misaligned),
      ...(alignment === undefined ? {} : { alignment: this.#alignment.state() })
    }
  }

  #trace (round: number, trained: Float32Array, own: { start: Float32Array, announcement: UpdateAnnouncement | undefined }, used: readonly FetchedModel[], misaligned: ReadonlySet<string> = new Set()): RoundTrace {
    const models = this.#models.get(round)
    const refused = this.#refused.get(round)
    const evidence = this.#inbox.evidence.filter(e => e.round === round)
    const announced = [...this.#inbox.announcements(round), ...evidence.map(e => e.first)]
    const usedPeers = new Set(used.map(m => m.peerId))
    const peerInputs = announced.sort((a, b) => (a.peerId < b.peerId ? -1 : 1)).map((announcement): PeerInput => {
      const weights = models?.get(announcement.peerId)
      const verdict = this.#inbox.isEquivocator(announcement.peerId, round) ? 'equivocation' : refused?.get(announcement.peerId) ?? (misaligned.has(announcement.peerId) ? 'misaligned' : 'accept')
      return { announcement, verdict, used: usedPeers.has(announcement.peerId), ...(weights === undefined ? {} : { weights }) }
    })
    return { start: own.start, trained, ...(own.announcement === undefined ? {} : { announcement: own.announcement }), peerInputs, evidence, aggregation: this.#manifest.aggregation }
  }

  /** Peers this node knows of: those connected on the topic, or heard announcing, whichever is more. */
  #knownPeers (): number {
    return Math.max(this.#announcers.size, this.#c.network.peerCount())
  }

  /** The round's deadline, scaled with the network the node knows (round-scale.ts). */
  #deadlineMs (): number {
    const { deadlineMs, fanout } = this.#manifest.rounds
    const known = this.#knownPeers()
    return scaledDeadlineMs(deadlineMs, known, sampleSize(fanout, known))
  }

  /** The first pause before an announcement is repeated (RoundLoopInit.reannounceFirstMs). */
  #firstRepeatMs (): number {
    return this.#init.reannounceFirstMs ?? reannounceFirstMs(this.#deadlineMs())
  }

  /** Peer models that close the round: the manifest's quorum, or the sample size under `rounds.fanout`. */
  #quorum (round: number): number {
    return roundQuorum(this.#manifest.rounds.quorum, this.#sample(round)?.size)
  }

  /** The round's peer sample, drawn on first use; undefined when every peer is aggregated. */
  #sample (round: number): PeerSample | undefined {
    const fanout = this.#manifest.rounds.fanout ?? 0
    if (fanout === 0) return undefined
    let sample = this.#samples.get(round)
    if (sample === undefined) this.#samples.set(round, sample = new PeerSample(this.#sortedAnnouncers(), fanout, this.#sampleRng(round)))
    return sample
  }

  /** The generator a round's samples are drawn with: seeded by the network, the round and this node. */
  #sampleRng (round: number): Rng {
    return createRng(deriveSeed(this.#manifest.training.initSeed, round, ...Buffer.from(this.#init.peerId).subarray(-8)))
  }

  /**
   * The announcements a catch-up fetches: under `rounds.fanout` = k, k of them drawn as a round's
   * sample is (a node behind in a large network would otherwise fetch every peer's model at once,
   * up to 49 in a 50-daemon swarm, each held in memory until the rule has combined them); every one
   * without a fanout.
   */
  #catchUpSample (round: number, announcements: readonly UpdateAnnouncement[]): readonly UpdateAnnouncement[] {
    const fanout = this.#manifest.rounds.fanout ?? 0
    if (fanout === 0 || announcements.length <= fanout) return announcements
    const sample = new PeerSample(announcements.map(a => a.peerId), fanout, this.#sampleRng(round))
    return announcements.filter(a => sample.includes(a.peerId))
  }

  /**
   * The announcers in sorted order, sorted again only when new ones have come (PeerSample sorts
   * its pool for determinism; an already sorted one costs it one pass instead of a sort of every
   * peer each round).
   */
  #sortedAnnouncers (): readonly string[] {
    if (this.#announcerOrder.length !== this.#announcers.size) this.#announcerOrder = [...this.#announcers].sort()
    return this.#announcerOrder
  }

  /**
   * Wait until `quorum` peer models for the round are in, the deadline passes, or the node is found
   * behind. Meanwhile repeat the announcement, at doubling intervals: peers that joined the topic
   * after it went out (a mesh still forming, a peer reconnecting) would otherwise never hear of it.
   */
  async #waitForQuorum (round: number, deadline: number, reannounce: () => Promise<void>): Promise<'quorum' | 'deadline' | 'behind' | 'aborted'> {
    const quorum = this.#quorum(round)
    const firstMs = this.#firstRepeatMs()
    let repeats = 0
    const waitStart = this.#clock.now()
    let nextAnnounce = waitStart + reannounceDelayMs(repeats, firstMs)
    let standInAt = waitStart + standInDelayMs(deadline - waitStart)
    for (;;) {
      if (this.#signal.aborted) return 'aborted'
      const models = this.#peerModelCount(round)
      if (models >= quorum) return 'quorum'
      if (this.#inbox.catchUpTarget(quorum) !== undefined) return 'behind'
      const now = this.#clock.now()
      if (now >= deadline) return 'deadline'
      if (now >= standInAt) {
        this.#admitStandIns(round, quorum - models)
        standInAt = Infinity
      }
      if (now >= nextAnnounce) {
        await reannounce()
        nextAnnounce = now + reannounceDelayMs(++repeats, firstMs)
      }
      await this.#sleepUntilWoken(Math.min(deadline, nextAnnounce, standInAt) - now)
    }
  }

  /**
   * Under a fanout, let up to `missing` peers outside the round's sample stand in for sampled
   * peers whose models are late: those that announced the round already, in the order they did,
   * then later announcers first-come. A straggler no longer holds the round to its deadline.
   */
  #admitStandIns (round: number, missing: number): void {
    const sample = this.#sample(round)
    if (sample === undefined || missing <= 0) return
    sample.standIn(missing)
    for (const a of this.#inbox.announcements(round)) {
      if (sample.includes(a.peerId) || this.#inbox.isEquivocator(a.peerId, round)) continue
      if (!sample.admit(a.peerId)) break
      this.#fetchInto(a)
    }
  }

  #sleepUntilWoken (ms: number): Promise<void> {
    return new Promise(resolve => {
      const done = (): void => {
        cancel()
        this.#signal.removeEventListener('abort', done)
        this.#wake = undefined
        resolve()
      }
      const cancel = this.#clock.after(ms, done)
      this.#signal.addEventListener('abort', done, { once: true })
      this.#wake = done
    })
  }

  /**
   * When the network is beyond this node's window, adopt the round after the one most peers
   * announced, starting from a robust aggregate of their models by that round's rule (or from the
   * first such model when too few arrive for the rule; from the node's own when none does, rather
   * than stall).
   */
  async #catchUp (own: Float32Array): Promise<{ round: number, weights: Float32Array, used: number, trace: CatchUpTrace } | undefined> {
    const target = this.#inbox.catchUpTarget(this.#manifest.rounds.quorum)
    if (target === undefined) return undefined
    // The peers' models are combined by the rule of the round the node continues at, which a
    // manifest version adopted since the node's own round may have changed.
    this.#govern(target.round + 1)
    const fetched = (await Promise.all(this.#catchUpSample(target.round, target.announcements).map(async announcement => {
      const model = await this.#fetch(announcement)
      return model === undefined ? undefined : { announcement, weights: model.weights }
    }))).filter(m => m !== undefined)
    const [first, ...rest] = fetched
    const aggregated = first !== undefined && fetched.length >= this.#aggregator.minInputs
    const weights = first === undefined
      ? own
      : aggregated ? this.#aggregator.aggregate(first.weights, rest.map(m => m.weights)) : first.weights
    const round = target.round + 1
    return { round, weights, used: fetched.length, trace: { round, peerRound: target.round, inputs: fetched, aggregated, aggregation: this.#manifest.aggregation, weights } }
  }


  #onAnnouncement (a: UpdateAnnouncement): AnnouncementOutcome {
    const { verdict, code } = this.#inbox.offer(a)
    if (code !== undefined && code !== 'duplicate') this.#c.log.debug(`announcement from ${a.peerId} round ${a.round}: ${code}`, { round: a.round, peer: a.peerId })
    if (verdict !== 'reject' && a.round < this.#inbox.round) this.#answerLaggingPeer(a.round)
    if (code === 'equivocation') this.#dropModel(a.round, a.peerId)
    if (verdict === 'accept' && this.#announcers.size < MAX_ANNOUNCERS) this.#announcers.add(a.peerId)
    // A closed round's models are no longer needed (its summary is out): accepted, relayed, not fetched.
    if (verdict === 'accept' && a.round >= this.#inbox.round && (this.#sample(a.round)?.admit(a.peerId) ?? true)) this.#fetchInto(a)
    // A waiting round looks at its models (a fetch wakes it when one is in) and at whether the
    // network has moved beyond its window, which only an announcement beyond the window can show.
    // Waking it for every other announcement cost a 1,000-peer simulation a million wake-ups a round.
    if (code === 'future-round') this.#wake?.()
    return { verdict, code }
  }

  /** Fetch an announced model into its round's models (unless its peer equivocates meanwhile). */
  #fetchInto (a: UpdateAnnouncement): void {
    void this.#fetch(a).then(model => {
      if (model === undefined) return
      let models = this.#models.get(a.round)
      if (models === undefined) this.#models.set(a.round, models = new Map())
      if (!this.#inbox.isEquivocator(a.peerId, a.round)) models.set(a.peerId, model.weights)
      this.#wake?.()
    })
  }

  /**
   * A peer still announcing a round this node has closed is waiting for that round's models; if
   * it missed this node's announcement (published before the two were connected, say), repeat it,
   * with the same doubling pauses as the repeats while waiting: many lagging peers must not make
   * every node that moved on republish at a fixed rate.
   */
  #answerLaggingPeer (round: number): void {
    const own = this.#ownAnnouncements.get(round)
    if (own === undefined || this.#clock.now() - own.repeatedAt < reannounceDelayMs(own.repeats, this.#firstRepeatMs())) return
    own.repeatedAt = this.#clock.now()
    own.repeats++
    own.repeat().catch((err: unknown) => { this.#c.log.debug(`repeating the round ${round} announcement failed: ${String(err)}`, { round }) })
  }

  /** Fetch and verify one announced model; failures are recorded, logged and resolve to undefined. */
  async #fetch (a: UpdateAnnouncement): Promise<FetchedModel | undefined> {
    // Not AbortSignal.any with AbortSignal.timeout: Node 22 keeps every such signal (deadline-signal.ts).
    const deadline = deadlineSignal(Math.ceil(this.#deadlineMs()), [this.#signal])
    try {
      const payload = await this.#c.network.fetchPayload(a, deadline.signal)
      this.#bytesFetched.set(a.round, (this.#bytesFetched.get(a.round) ?? 0) + payload.byteLength)
      // The network checked the payload against its signed hash; the rest is the encoding's to check.
      return { peerId: a.peerId, weights: decodeModelOnce(payload, this.#encoding, this.#init.parameterCount) }
    } catch (err) {
      const provable = provableFailure(err)
      if (provable !== undefined) this.#c.network.penalise(a.peerId, provable)
      const code = err instanceof ValidationError ? err.code : provable ?? 'fetch-failed'
      let refused = this.#refused.get(a.round)
      if (refused === undefined) this.#refused.set(a.round, refused = new Map())
      refused.set(a.peerId, code)
      this.#c.log.warn(`round ${a.round}: model from ${a.peerId} refused: ${(err as Error).message}`, { round: a.round, peer: a.peerId })
      this.#wake?.()
      return undefined
    } finally {
      deadline.clear()
    }
  }

  /** The round's verified peer models in peer id order: the order they are aggregated in, so the ledger can reproduce the aggregate bit for bit. */
  #peerModels (round: number): FetchedModel[] {
    const models = this.#models.get(round)
    if (models === undefined) return []
    return [...models].filter(([peerId]) => !this.#inbox.isEquivocator(peerId, round)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([peerId, weights]) => ({ peerId, weights }))
  }

  /** How many models {@link #peerModels} would give, without listing and sorting them (a waiting loop asks at every wake-up). */
  #peerModelCount (round: number): number {
    let count = 0
    for (const peerId of this.#models.get(round)?.keys() ?? []) if (!this.#inbox.isEquivocator(peerId, round)) count++
    return count
  }

  #dropModel (round: number, peerId: string): void {
    this.#models.get(round)?.delete(peerId)
  }

  /** Take the manifest and rule that govern `round`, saying so when they change. */
  #govern (round: number): void {
    const governing = this.#c.governance?.(round)
    if (governing === undefined || governing.version === this.#version) return
    const changed = this.#version !== undefined
    this.#version = governing.version
    this.#manifest = governing.manifest
    this.#aggregator = governing.aggregator
    const r = governing.manifest.rounds
    if (changed) this.#c.log.info(`round ${round}: now under manifest version ${governing.version}: rule ${governing.aggregator.name} (f=${governing.aggregator.f}), quorum ${r.quorum}, deadline ${r.deadlineMs} ms`, { round })
  }

  #setRound (round: number): void {
    this.#govern(round)
    this.#inbox.setRound(round, this.#manifest.rounds.window)
    const oldest = round - this.#manifest.rounds.window
    // Models of closed rounds are dropped at once: in a large simulation they are most of the memory.
    for (const r of this.#models.keys()) if (r < round) this.#models.delete(r)
    for (const r of this.#refused.keys()) if (r < oldest) this.#refused.delete(r)
    for (const r of this.#bytesFetched.keys()) if (r < oldest) this.#bytesFetched.delete(r)
    for (const r of this.#samples.keys()) if (r < oldest) this.#samples.delete(r)
    for (const r of this.#ownAnnouncements.keys()) if (r < oldest) this.#ownAnnouncements.delete(r)
  }
}

/**
 * The code of a failed fetch when only the serving peer can have caused it: a payload that fails
 * validation with a reject code, or transfer bytes that do not match the signed announcement (the
 * stream is authenticated to the announcer by Noise). Undefined for failures honest peers have too.
 */
function provableFailure (err: unknown): ValidationCode | undefined {
  if (err instanceof ValidationError) return err.action === 'reject' ? err.code : undefined
  if (err instanceof TransferError && (err.code === 'hash-mismatch' || err.code === 'wrong-size')) return err.code
  return undefined
}

/** No NaN or infinity among the weights (a plain loop: `every` with a callback costs several times more). */
function allFinite (weights: Float32Array): boolean {
  for (let j = 0; j < weights.length; j++) if (!Number.isFinite(weights[j])) return false
  return true
}
