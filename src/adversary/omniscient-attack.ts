import type { Aggregator } from '../aggregation/index.ts'
import { createRng } from '../model/index.ts'
import type { Rng } from '../model/index.ts'
import type { AttackSpec, OmniscientAttackName } from './attack-spec.ts'
import { LINE_SEARCH_DEFAULTS, adaptiveAlieModel, adaptiveIpmModel } from './line-search.ts'
import { DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON, alieModel, dissensusModel, gaussianModel, ipmModel, signFlipModel } from './model-attacks.ts'
import { alieDefaultZ } from './statistics.ts'

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
}

/**
 * The model an omniscient attacker announces, crafted from the round's honest models with the
 * pure functions of this room. In an all-peers topology one signed announcement reaches every
 * peer, so per-target attacks aim at one node: dissensus targets the honest peer with the
 * smallest peer id. Stateful only through its seeded generator (gaussian): craft once per round.
 */
export class OmniscientAttack {
  readonly attack: OmniscientAttackInit['attack']
  readonly #byzantine: number
  readonly #aggregator: Aggregator
  readonly #rng: Rng

  constructor (init: OmniscientAttackInit, components: OmniscientAttackComponents) {
    this.attack = init.attack
    this.#byzantine = Math.max(1, init.byzantine)
    this.#aggregator = components.aggregator
    this.#rng = createRng(init.seed ?? 0)
  }

  /**
   * The attack model for one round, or undefined when no honest model is in (nothing to craft from).
   * @param honest the round's models from peers outside the colluders.
   */
  craft (honest: readonly PeerModel[]): Float32Array | undefined {
    const p = this.attack.params
    const byzantine = this.#byzantine
    const models = honest.map(m => m.weights)
    if (models.length === 0) return undefined
    switch (this.attack.name) {
      case 'sign-flip': return signFlipModel(models)
      case 'gaussian': return gaussianModel(models, this.#rng.normal, p.sigma ?? GAUSSIAN_SIGMA)
      case 'alie': return alieModel(models, p.z ?? alieDefaultZ(models.length + byzantine, byzantine))
      case 'ipm': return ipmModel(models, p.epsilon ?? IPM_EPSILON)
      case 'dissensus': {
        const [target, ...others] = [...honest].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
        return dissensusModel((target as PeerModel).weights, others.map(m => m.weights), byzantine, p.epsilon ?? DISSENSUS_EPSILON)
      }
      case 'alie-opt': return adaptiveAlieModel(this.#aggregator, models, byzantine, { evaluations: p.evals ?? LINE_SEARCH_DEFAULTS.evaluations }).model
      case 'ipm-opt': return adaptiveIpmModel(this.#aggregator, models, byzantine, { evaluations: p.evals ?? LINE_SEARCH_DEFAULTS.evaluations }).model
    }
  }
}
