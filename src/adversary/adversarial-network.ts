import type { PrivateKey } from '@libp2p/interface'
import type { Aggregator } from '../aggregation/index.ts'
import { decodeModel, decodeModelOnce, encodeModel, modelEncoding, payloadHash, signAnnouncement } from '../protocol/index.ts'
import type { NetworkManifest, UpdateAnnouncement, ValidationCode } from '../protocol/index.ts'
import { silentLogger, wallClock } from '../round/index.ts'
import type { AnnouncementOutcome, Logger, RoundClock, RoundNetwork } from '../round/index.ts'
import { isOmniscient } from './attack-spec.ts'
import type { AttackSpec } from './attack-spec.ts'
import type { Collusion } from './collusion.ts'
import { OmniscientAttack } from './omniscient-attack.ts'
import type { PeerModel } from './omniscient-attack.ts'

export interface AdversarialNetworkInit {
  readonly attack: AttackSpec
  /**
   * Peer ids of every Byzantine node of the swarm, this one included: an omniscient attacker
   * neither crafts from its colluders' models nor waits for them.
   */
  readonly colluders: readonly string[]
  /** Seed of the attacker's randomness (gaussian). @default 0 */
  readonly seed?: number
  /** The network's manifest: its round quorum, deadline and window. */
  readonly manifest: NetworkManifest
  /** The node's key: it signs the crafted announcements. */
  readonly privateKey: PrivateKey
  /** Parameters of the network's model, to decode the honest payloads. */
  readonly parameterCount: number
}

export interface AdversarialNetworkComponents {
  /** The honest node's own network, which every crafted announcement goes out through. */
  readonly network: RoundNetwork
  /** The network's rule: adaptive attacks line-search against it. */
  readonly aggregator: Aggregator
  readonly log?: Logger
  /** own-loss only: the loss of a model on this attacker's own training data. */
  readonly loss?: (weights: Float32Array) => number
  /** Shared by the colluders of one process: a deterministic attack is crafted once per round for all. */
  readonly collusion?: Collusion
  /**
   * The time its wait for honest models goes by: the round loop's clock (the robustness
   * simulation's IdleClock, so the wait does not run out because the machine is busy). @default wallClock
   */
  readonly clock?: RoundClock
}

/** What the attacker publishes for a round: a signed announcement and the payload it names. */
interface Publication {
  readonly announcement: UpdateAnnouncement
  readonly payload: Uint8Array
}

/**
 * An honest node's RoundNetwork with an attack as its outgoing policy (testers and the robustness
 * benchmark only), so the round loop itself carries no attack branch. Incoming traffic passes
 * through; what the loop announces is replaced by what the attack publishes:
 * - crash: its own model until `round`, then nothing;
 * - stale: the first payload it announced, under a fresh signed announcement every round;
 * - label-flip: its own model (the trainer is what flips the labels);
 * - omniscient attacks: a model crafted from the round's honest models. It fetches every
 *   accepted honest model itself, whatever the loop's fanout sample, and waits for as many as
 *   the quorum less its colluders, at most half a round deadline, so its model still lands
 *   before honest nodes close the round; with no honest model in, it stays silent.
 * A round's publication is decided once: the loop's repeats of an announcement republish it.
 */
export class AdversarialNetwork implements RoundNetwork {
  readonly peerId: string
  readonly #init: AdversarialNetworkInit
  readonly #inner: RoundNetwork
  readonly #log: Logger
  readonly #colluders: ReadonlySet<string>
  /** Set for omniscient attacks only. */
  readonly #omniscient: OmniscientAttack | undefined
  readonly #collusion: Collusion | undefined
  /** What each round publishes (undefined: silence), decided by the round's first announce. */
  readonly #publications = new Map<number, Promise<Publication | undefined>>()
  /** Fetches by round and announcement, shared with the round loop so one download serves both. */
  readonly #fetches = new Map<number, Map<string, Promise<Uint8Array>>>()
  /** Honest models by round and peer, in the order they arrived. */
  readonly #honest = new Map<number, Map<string, Float32Array>>()
  readonly #equivocators = new Map<number, Set<string>>()
  readonly #waiting = new Set<() => void>()
  readonly #clock: RoundClock
  /** stale: the first payload announced, replayed every round. */
  #first: Uint8Array | undefined

  get bulkPort (): number | undefined { return this.#inner.bulkPort }

  constructor (init: AdversarialNetworkInit, components: AdversarialNetworkComponents) {
    this.#init = init
    this.#inner = components.network
    this.#log = components.log ?? silentLogger
    this.peerId = components.network.peerId
    this.#colluders = new Set(init.colluders)
    this.#clock = components.clock ?? wallClock
    const { attack } = init
    this.#omniscient = isOmniscient(attack)
      ? new OmniscientAttack(
        { attack, byzantine: this.#colluders.size, ...(init.seed === undefined ? {} : { seed: init.seed }) },
        { aggregator: components.aggregator, ...(components.loss === undefined ? {} : { loss: components.loss }), ...(components.collusion === undefined ? {} : { budget: components.collusion.budget }) }
      )
      : undefined
    this.#collusion = this.#omniscient?.deterministic === true ? components.collusion : undefined
  }

  /**
   * Publish what the attack makes of the loop's announcement for its round, through the inner
   * network; the first call for a round decides it (an omniscient attack waits for honest models
   * here), later calls republish the same announcement.
   */
  async announce (announcement: UpdateAnnouncement, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.#forgetBefore(announcement.round - this.#init.manifest.rounds.window)
    let publication = this.#publications.get(announcement.round)
    if (publication === undefined) this.#publications.set(announcement.round, publication = this.#publication(announcement, payload, signal))
    const chosen = await publication
    if (chosen !== undefined) await this.#inner.announce(chosen.announcement, chosen.payload, signal)
  }

  onAnnouncement (handler: (announcement: UpdateAnnouncement) => AnnouncementOutcome): void {
    this.#inner.onAnnouncement(a => {
      const outcome = handler(a)
      if (this.#omniscient !== undefined) this.#observe(a, outcome)
      return outcome
    })
  }

  /** The inner network's fetch; for omniscient attacks shared per announcement with the attacker's own fetch. */
  fetchPayload (announcement: UpdateAnnouncement, signal: AbortSignal): Promise<Uint8Array> {
    if (this.#omniscient === undefined) return this.#inner.fetchPayload(announcement, signal)
    let fetches = this.#fetches.get(announcement.round)
    if (fetches === undefined) this.#fetches.set(announcement.round, fetches = new Map())
    // Keyed by announcer as well as hash: a payload that fails its checks must count against the
    // peer that served it, never against another announcer of the same hash.
    const key = `${announcement.peerId} ${announcement.modelHash}`
    let fetch = fetches.get(key)
    if (fetch === undefined) {
      const started = this.#inner.fetchPayload(announcement, signal)
      fetches.set(key, fetch = started)
      // A failed fetch is forgotten, so that a later call (a catch-up, say) tries again.
      started.catch(() => { if (fetches.get(key) === started) fetches.delete(key) })
    }
    return fetch
  }

  peerCount (): number {
    return this.#inner.peerCount()
  }

  penalise (peerId: string, code: ValidationCode): void {
    this.#inner.penalise(peerId, code)
  }

  async #publication (announcement: UpdateAnnouncement, payload: Uint8Array, signal: AbortSignal | undefined): Promise<Publication | undefined> {
    const { attack } = this.#init
    switch (attack.name) {
      case 'crash': return announcement.round >= (attack.params.round ?? 0) ? undefined : { announcement, payload }
      case 'label-flip': return { announcement, payload }
      case 'stale': {
        const first = this.#first ??= payload
        return first === payload ? { announcement, payload } : this.#resigned(announcement, first)
      }
      default: break
    }
    const omniscient = this.#omniscient as OmniscientAttack
    const honest = await this.#honestModels(announcement.round, signal)
    // The model this node starts the round from: the update-based attacks measure the honest update from it.
    const reference = decodeModel(payload, modelEncoding(this.#init.manifest.model), this.#init.parameterCount)
    const craft = (): Float32Array | undefined => omniscient.craft(honest, reference, announcement.round)
    const model = this.#collusion === undefined ? craft() : this.#collusion.craftOnce(announcement.round, honest.map(m => m.peerId), craft)
    if (model === undefined) {
      this.#log.debug(`round ${announcement.round}: no honest model arrived: the ${attack.name} attacker stays silent`)
      return undefined
    }
    return this.#resigned(announcement, encodeModel(model, modelEncoding(this.#init.manifest.model)))
  }

  /** The same announcement fields, signed afresh for another payload. */
  async #resigned (a: UpdateAnnouncement, payload: Uint8Array): Promise<Publication> {
    const announcement = await signAnnouncement({
      networkId: a.networkId,
      peerId: a.peerId,
      round: a.round,
      modelHash: payloadHash(payload),
      byteLength: payload.byteLength,
      encoding: a.encoding,
      sampleCount: a.sampleCount,
      loss: a.loss,
      datasetFingerprint: a.datasetFingerprint,
      ledgerHead: a.ledgerHead,
      ...(a.bulkPort === undefined ? {} : { bulkPort: a.bulkPort })
    }, this.#init.privateKey)
    return { announcement, payload }
  }

  /**
   * The round's honest models once the quorum less the other colluders is in (colluders do not
   * wait for each other), or at half a round deadline on the clock, or when the signal aborts.
   */
  async #honestModels (round: number, signal: AbortSignal | undefined): Promise<PeerModel[]> {
    const { quorum, deadlineMs } = this.#init.manifest.rounds
    const needed = quorum - [...this.#colluders].filter(id => id !== this.peerId).length
    const deadline = this.#clock.now() + deadlineMs / 2
    while (this.#honestOf(round).length < needed && this.#clock.now() < deadline && signal?.aborted !== true) {
      await this.#nextArrival(deadline - this.#clock.now(), signal)
    }
    return this.#honestOf(round)
  }

  /** Fetch every accepted model from outside the colluders, as the loop's verdict on it arrives. */
  #observe (a: UpdateAnnouncement, outcome: AnnouncementOutcome): void {
    if (outcome.code === 'equivocation') {
      let equivocators = this.#equivocators.get(a.round)
      if (equivocators === undefined) this.#equivocators.set(a.round, equivocators = new Set())
      equivocators.add(a.peerId)
      this.#honest.get(a.round)?.delete(a.peerId)
    }
    if (outcome.verdict !== 'accept') return
    // Accepted rounds lie within the loop's window of its own round, so this keeps all it may repeat.
    this.#forgetBefore(a.round - 2 * this.#init.manifest.rounds.window)
    if (this.#colluders.has(a.peerId)) return
    this.fetchPayload(a, AbortSignal.timeout(this.#init.manifest.rounds.deadlineMs)).then(payload => {
      const weights = decodeModelOnce(payload, modelEncoding(this.#init.manifest.model), this.#init.parameterCount)
      if (this.#equivocators.get(a.round)?.has(a.peerId) === true) return
      let models = this.#honest.get(a.round)
      if (models === undefined) this.#honest.set(a.round, models = new Map())
      models.set(a.peerId, weights)
      for (const wake of [...this.#waiting]) wake()
    }).catch((err: unknown) => {
      // The round loop refuses (and, when provable, penalises) the same payload; here it is only missing.
      this.#log.debug(`round ${a.round}: the attacker cannot use the model from ${a.peerId}: ${String(err)}`)
    })
  }

  #honestOf (round: number): PeerModel[] {
    const models = this.#honest.get(round)
    return models === undefined ? [] : [...models].map(([peerId, weights]) => ({ peerId, weights }))
  }

  /** Resolves when the next honest model arrives, after `ms` on the clock, or when the signal aborts. */
  #nextArrival (ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise(resolve => {
      const done = (): void => {
        cancel()
        signal?.removeEventListener('abort', done)
        this.#waiting.delete(done)
        resolve()
      }
      const cancel = this.#clock.after(ms, done)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiting.add(done)
    })
  }

  #forgetBefore (oldest: number): void {
    for (const map of [this.#publications, this.#fetches, this.#honest, this.#equivocators]) {
      for (const round of map.keys()) if (round < oldest) map.delete(round)
    }
    this.#collusion?.forgetBefore(oldest)
  }
}
