import type { Aggregator } from '../aggregation/index.ts'
import { createRng } from '../model/index.ts'
import type { Rng } from '../model/index.ts'
import type { AttackSpec, OmniscientAttackName } from './attack-spec.ts'
import { LINE_SEARCH_DEFAULTS, adaptiveAlieModel, adaptiveIpmModel } from './line-search.ts'
import { DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON, alieModel, dissensusModel, gaussianModel, ipmModel, signFlipModel } from './model-attacks.ts'
import { alieDefaultZ, honestMean } from './statistics.ts'
import { mimicModel, minMaxModel, minSumModel, updateDirection } from './distance-attacks.ts'
import { OBJECTIVE_SEARCH, memoryAlignment, ownLossModel, undoProgressModel } from './objective-attacks.ts'
import { AlignmentBudget } from './alignment-budget.ts'
import { frameModel } from './framing-attack.ts'

/** A peer's model of the current round. */
export interface PeerModel { readonly peerId: string, readonly weights: Float32Array }

export interface OmniscientAttackInit {
  readonly attack: AttackSpec & { readonly name: OmniscientAttackName }
  /** Byzantine nodes of the swarm, this one included (at least 1 is assumed). */
  readonly byzantine: number
  /** Seed of the attack's randomness (gaussian). @default 0 */
  readonly seed?: number
}

export interface OmniscientAttackComponents {
  /** The network's rule: adaptive attacks line-search against it. */
  readonly aggregator: Aggregator
  /** own-loss only: the loss of a model on the attacker's own training data. */
  readonly loss?: (weights: Float32Array) => number
  /** The `slack` searches' estimate of the memory's view of the attackers, shared by colluders in one process. @default a budget of its own */
  readonly budget?: AlignmentBudget
}

/**
 * The model an omniscient attacker announces, crafted from the round's honest models with the
 * pure functions of this room. In an all-peers topology one signed announcement reaches every
 * peer, so per-target attacks aim at one node: dissensus and frame target the honest peer with
 * the smallest peer id. Stateful only through its seeded generator (gaussian): craft once per round.
 */
export class OmniscientAttack {
  readonly attack: OmniscientAttackInit['attack']
  readonly #byzantine: number
  readonly #aggregator: Aggregator
  readonly #rng: Rng
  readonly #loss: ((weights: Float32Array) => number) | undefined
  readonly #budget: AlignmentBudget

  /** @throws Error for own-loss without a loss function (a bug in the caller). */
  constructor (init: OmniscientAttackInit, components: OmniscientAttackComponents) {
    this.attack = init.attack
    this.#byzantine = Math.max(1, init.byzantine)
    this.#aggregator = components.aggregator
    this.#rng = createRng(init.seed ?? 0)
    this.#loss = components.loss
    this.#budget = components.budget ?? new AlignmentBudget()
    if (init.attack.name === 'own-loss' && this.#loss === undefined) throw new Error('own-loss needs the loss on the attacker\'s own data')
  }

  /** Whether every colluder crafts the same model from the same honest models (no randomness of its own). */
  get deterministic (): boolean { return this.attack.name !== 'gaussian' }

  /**
   * The attack model for one round, or undefined when no honest model is in (nothing to craft from).
   * @param honest the round's models from peers outside the colluders.
   * @param reference the model the round started from (the attacker's own start model): the
   * update-based attacks (min-max, min-sum, undo-progress, own-loss, frame) measure the honest update
   * from it; without it, the honest mean (no update).
   * @param round the round crafted for: the `slack` searches count each round's model once.
   */
  craft (honest: readonly PeerModel[], reference?: Float32Array, round?: number): Float32Array | undefined {
    const p = this.attack.params
    const byzantine = this.#byzantine
    const models = honest.map(m => m.weights)
    if (models.length === 0) return undefined
    // Against a peer-alignment memory the searches keep to its threshold, unless told another floor;
    // with slack=1, to the lowest alignment that keeps their estimate of its average at the threshold.
    const memory = this.#aggregator.alignment
    const slack = memory !== undefined && (p.slack ?? 0) > 0 ? memory : undefined
    // With slack=1,from=R, the rounds before R only bank: as aligned as the honest mean.
    const banking = slack !== undefined && round !== undefined && round < (p.from ?? 0)
    const floor = p.floor ?? (slack === undefined ? memory?.threshold : banking ? 1 : this.#budget.floor(slack))
    const withOwn = memory?.withOwn === true
    const search = { refine: p.refine ?? OBJECTIVE_SEARCH.refine, ...(floor === undefined ? {} : { alignmentFloor: floor, alignmentWithOwn: withOwn }) }
    const counted = (model: Float32Array, start: Float32Array): Float32Array => {
      if (slack !== undefined && round !== undefined) this.#budget.spend(slack, round, memoryAlignment(model, models, byzantine, start, withOwn))
      return model
    }
    switch (this.attack.name) {
      case 'sign-flip': return signFlipModel(models)
      case 'gaussian': return gaussianModel(models, this.#rng.normal, p.sigma ?? GAUSSIAN_SIGMA)
      case 'alie': return alieModel(models, p.z ?? alieDefaultZ(models.length + byzantine, byzantine))
      case 'ipm': return ipmModel(models, p.epsilon ?? IPM_EPSILON)
      case 'dissensus': {
        const [target, ...others] = byPeerId(honest)
        return dissensusModel((target as PeerModel).weights, others.map(m => m.weights), byzantine, p.epsilon ?? DISSENSUS_EPSILON)
      }
      case 'alie-opt': return adaptiveAlieModel(this.#aggregator, models, byzantine, { evaluations: p.evals ?? LINE_SEARCH_DEFAULTS.evaluations }).model
      case 'ipm-opt': return adaptiveIpmModel(this.#aggregator, models, byzantine, { evaluations: p.evals ?? LINE_SEARCH_DEFAULTS.evaluations }).model
      case 'min-max': return minMaxModel(models, updateDirection(models, reference))
      case 'min-sum': return minSumModel(models, updateDirection(models, reference))
      case 'mimic': return mimicModel(models)
      case 'undo-progress': {
        const start = reference ?? honestMean(models)
        return counted(undoProgressModel(this.#aggregator, models, byzantine, start, search), start)
      }
      case 'own-loss': {
        const start = reference ?? honestMean(models)
        return counted(ownLossModel(this.#aggregator, models, byzantine, start, this.#loss as (w: Float32Array) => number, search), start)
      }
      case 'frame': return frameModel((byPeerId(honest)[0] as PeerModel).weights, models, reference ?? honestMean(models))
    }
  }
}

/** The models in peer-id order: the per-target attacks' victim is the first. */
function byPeerId (models: readonly PeerModel[]): PeerModel[] {
  return [...models].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
}
