/**
 * Attackers as node behaviours, for testers and the robustness benchmark (`meshtrain swarm
 * --byzantine F --attack NAME[:k=v,...]`). An attacker runs the same round loop, signing,
 * announcement and transfer code as an honest node; only what it announces differs. The math
 * of each attack lives in src/aggregation (pure functions over Float32Array).
 */
import {
  DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON, LINE_SEARCH_DEFAULTS,
  adaptiveAlieModel, adaptiveIpmModel, alieDefaultZ, alieModel, dissensusModel, gaussianModel, ipmModel, signFlipModel
} from '../adversary/index.ts'
import type { Aggregator } from '../aggregation/index.ts'
import { createRng } from '../model/index.ts'
import type { LabelMap, Rng } from '../model/index.ts'
import { ConfigError } from '../errors/index.ts'

/** Every attack, its parameters with their defaults (undefined: computed), and what it does. */
export const ATTACKS = {
  crash: { params: { round: 0 }, help: 'trains honestly, then announces nothing from the given round on (default: from the start)' },
  stale: { params: {}, help: 'replays its first model every round (fresh signed announcement, old payload)' },
  'sign-flip': { params: {}, help: 'omniscient: the negated honest mean' },
  gaussian: { params: { sigma: GAUSSIAN_SIGMA }, help: 'omniscient: honest mean + N(0, sigma^2) per coordinate' },
  'label-flip': { params: {}, help: 'trains honestly on labels y -> C-1-y' },
  alie: { params: { z: undefined }, help: 'omniscient: mean - z*std of the honest models (Baruch et al. 2019); z defaults to the paper\'s formula' },
  ipm: { params: { epsilon: IPM_EPSILON }, help: 'omniscient: -epsilon * honest mean (Xie et al. 2019)' },
  dissensus: { params: { epsilon: DISSENSUS_EPSILON }, help: 'omniscient: reverses a target\'s gossip step (He et al. 2022); target: the honest peer with the smallest id' },
  'alie-opt': { params: { evals: LINE_SEARCH_DEFAULTS.evaluations }, help: 'omniscient: ALIE with z line-searched against the rule in use' },
  'ipm-opt': { params: { evals: LINE_SEARCH_DEFAULTS.evaluations }, help: 'omniscient: IPM with epsilon line-searched against the rule in use' }
} as const satisfies Record<string, { params: Record<string, number | undefined>, help: string }>

export type AttackName = keyof typeof ATTACKS
export const ATTACK_NAMES = Object.keys(ATTACKS) as AttackName[]

/** An attack and its parameters, as parsed from `NAME[:k=v,...]`. */
export interface AttackSpec {
  readonly name: AttackName
  readonly params: Readonly<Record<string, number>>
}

/** `--attack` help: every attack with its parameters and defaults. */
export function attacksHelp (): string {
  return ATTACK_NAMES.map(name => {
    const params = Object.entries(ATTACKS[name].params as Record<string, number | undefined>).map(([k, v]) => `${k}=${v ?? 'auto'}`).join(',')
    return `  ${name}${params === '' ? '' : `[:${params}]`}\n      ${ATTACKS[name].help}`
  }).join('\n')
}

/**
 * Parse `NAME` or `NAME:k=v,k=v`, e.g. `alie:z=10`, `crash:round=20`.
 * @throws ConfigError naming the attack or parameter, with the known attacks or parameters.
 */
export function parseAttack (text: string, setting = 'attack'): AttackSpec {
  const colon = text.indexOf(':')
  const name = colon < 0 ? text : text.slice(0, colon)
  if (!Object.hasOwn(ATTACKS, name)) throw new ConfigError(setting, `--${setting}: unknown attack ${JSON.stringify(name)}; known: ${ATTACK_NAMES.join(', ')}`)
  const known = ATTACKS[name as AttackName].params as Record<string, number | undefined>
  const params: Record<string, number> = {}
  for (const pair of colon < 0 ? [] : text.slice(colon + 1).split(',').filter(p => p !== '')) {
    const [key = '', raw = ''] = pair.split('=')
    if (!Object.hasOwn(known, key)) {
      const list = Object.keys(known)
      throw new ConfigError(setting, `--${setting}: attack ${name} has no parameter ${JSON.stringify(key)}; ${list.length === 0 ? 'it takes none' : `known: ${list.join(', ')}`}`)
    }
    const value = Number(raw)
    if (raw === '' || !Number.isFinite(value)) throw new ConfigError(setting, `--${setting}: ${name}:${key} got ${JSON.stringify(raw)}, expected a number`)
    params[key] = value
  }
  return Object.freeze({ name: name as AttackName, params: Object.freeze(params) })
}

/** A peer's model of the current round, as the round loop holds it. */
export interface PeerModel { readonly peerId: string, readonly weights: Float32Array }

export interface AdversaryInit {
  readonly attack: AttackSpec
  /** Peer ids of every Byzantine node of the swarm, this one included: they do not wait for each other. */
  readonly colluders: readonly string[]
  /** Seed of the attacker's randomness (gaussian). @default 0 */
  readonly seed?: number
}

export interface AdversaryComponents {
  /** The network's rule: adaptive attacks line-search against it. */
  readonly aggregator: Aggregator
}

const OMNISCIENT: ReadonlySet<AttackName> = new Set(['sign-flip', 'gaussian', 'alie', 'ipm', 'dissensus', 'alie-opt', 'ipm-opt'])

/**
 * What a Byzantine node announces in place of its trained model. Omniscient attacks read the
 * round's honest models (the round loop waits for them, up to half the round deadline) and do not
 * train. In an all-peers topology one signed announcement reaches every peer, so per-target
 * attacks aim at one node: dissensus targets the honest peer with the smallest peer id.
 */
export class Adversary {
  readonly attack: AttackSpec
  readonly colluders: ReadonlySet<string>
  readonly #aggregator: Aggregator
  readonly #rng: Rng
  #first: Float32Array | undefined

  constructor (init: AdversaryInit, components: AdversaryComponents) {
    this.attack = init.attack
    this.colluders = new Set(init.colluders)
    this.#aggregator = components.aggregator
    this.#rng = createRng(init.seed ?? 0)
  }

  /** Whether it reads the round's honest models before announcing. */
  get omniscient (): boolean { return OMNISCIENT.has(this.attack.name) }
  /** Whether it trains at all (omniscient attackers only craft). */
  get trains (): boolean { return !this.omniscient }
  /** How its trainer must present labels: 'flip' for label-flip. */
  get labelMap (): LabelMap { return this.attack.name === 'label-flip' ? 'flip' : 'identity' }

  /**
   * The model to announce in `round`, or undefined to stay silent (crash, or an omniscient attack
   * that saw no honest model before its wait ended).
   * @param own the model this node trained (or, if it does not train, the one it started from).
   * @param honest the round's models from peers outside the colluders.
   */
  outgoing (round: number, own: Float32Array, honest: readonly PeerModel[]): Float32Array | undefined {
    const p = this.attack.params
    const byzantine = Math.max(1, this.colluders.size)
    const models = honest.map(m => m.weights)
    switch (this.attack.name) {
      case 'crash': return round >= (p.round ?? 0) ? undefined : own
      case 'stale': return (this.#first ??= own)
      case 'label-flip': return own
      default: break
    }
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
