/**
 * The attacks a tester or the robustness benchmark can give a Byzantine node (`meshtrain swarm
 * --byzantine F --attack NAME[:k=v,...]`), their parameters and how they are parsed.
 */
import type { LabelMap } from '../model/index.ts'
import { ConfigError } from '../errors/index.ts'
import { LINE_SEARCH_DEFAULTS } from './line-search.ts'
import { OBJECTIVE_SEARCH } from './objective-attacks.ts'
import { DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON } from './model-attacks.ts'

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
  'ipm-opt': { params: { evals: LINE_SEARCH_DEFAULTS.evaluations }, help: 'omniscient: IPM with epsilon line-searched against the rule in use' },
  'min-max': { params: {}, help: 'omniscient: mean pushed against the honest update as far as the largest honest pairwise distance allows (Shejwalkar & Houmansadr 2021)' },
  'min-sum': { params: {}, help: 'omniscient: mean pushed against the honest update as far as the largest honest sum of squared distances allows (Shejwalkar & Houmansadr 2021)' },
  mimic: { params: {}, help: 'omniscient: copies the honest model farthest along the honest top principal direction (Karimireddy et al. 2022)' },
  'undo-progress': { params: { refine: OBJECTIVE_SEARCH.refine, floor: undefined, slack: 0, from: 0 }, help: 'omniscient: a cluster searched against the rule in use (negated update, top principal direction, -std) to move the aggregate back against the honest update; with floor=T, only models whose update lines up with the median of the honest models and its copies at cosine T or more; against a peer-alignment memory (aggregation.alignmentThreshold) T defaults to its threshold, and with slack=1 to the lowest cosine that keeps the attackers\' estimate of the memory\'s average at the threshold (rounds above it bank slack that later rounds spend; with from=R, the rounds before R only bank, sending the honest mean)' },
  'own-loss': { params: { refine: OBJECTIVE_SEARCH.refine, floor: undefined, slack: 0, from: 0 }, help: 'omniscient: a cluster searched against the rule in use to maximise the aggregate\'s loss on the attacker\'s own data; floor=T, slack=1 and from=R as for undo-progress' },
  frame: { params: {}, help: 'omniscient, against a peer-alignment memory (aggregation.alignmentThreshold): pulls the median the memory measures every peer against, coordinate by coordinate, away from the update of a victim, the honest peer with the smallest id (the smallest honest value where that update is positive, the largest where it is negative), so that the memory leaves the victim out' }
} as const satisfies Record<string, { params: Record<string, number | undefined>, help: string }>

export type AttackName = keyof typeof ATTACKS
export const ATTACK_NAMES = Object.keys(ATTACKS) as AttackName[]

/** The attacks that read the round's honest models and announce a model crafted from them instead of training. */
export const OMNISCIENT_ATTACKS = ['sign-flip', 'gaussian', 'alie', 'ipm', 'dissensus', 'alie-opt', 'ipm-opt', 'min-max', 'min-sum', 'mimic', 'undo-progress', 'own-loss', 'frame'] as const satisfies readonly AttackName[]
export type OmniscientAttackName = (typeof OMNISCIENT_ATTACKS)[number]

/**
 * The omniscient attacks that measure the honest updates from the attacker's own start model
 * (OmniscientAttack.craft's `reference`); the others craft from the honest models alone.
 */
export const UPDATE_ATTACKS = ['min-max', 'min-sum', 'undo-progress', 'own-loss', 'frame'] as const satisfies readonly OmniscientAttackName[]

/** An attack and its parameters, as parsed from `NAME[:k=v,...]`. */
export interface AttackSpec {
  readonly name: AttackName
  readonly params: Readonly<Record<string, number>>
}

/** Whether the attack reads the round's honest models (and so does not train). */
export function isOmniscient (attack: AttackSpec): attack is AttackSpec & { readonly name: OmniscientAttackName } {
  return (OMNISCIENT_ATTACKS as readonly AttackName[]).includes(attack.name)
}

/**
 * Whether what the attacker publishes depends on its own model, the aggregate its round loop
 * computes each round: false for the omniscient attacks outside {@link UPDATE_ATTACKS}, which
 * neither train from it nor measure an update from it (a simulation may skip that aggregation).
 */
export function usesOwnModel (attack: AttackSpec): boolean {
  return !isOmniscient(attack) || (UPDATE_ATTACKS as readonly AttackName[]).includes(attack.name)
}

/** How an attacker's trainer must present its labels: 'flip' for label-flip, else 'identity' (also without an attack). */
export function attackLabelMap (attack: AttackSpec | undefined): LabelMap {
  return attack?.name === 'label-flip' ? 'flip' : 'identity'
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

/** The `NAME[:k=v,...]` text that {@link parseAttack} reads back into the same spec (to pass an attack on to a child process). */
export function formatAttack (attack: AttackSpec): string {
  const params = Object.entries(attack.params).map(([k, v]) => `${k}=${v}`).join(',')
  return params === '' ? attack.name : `${attack.name}:${params}`
}
