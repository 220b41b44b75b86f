import type { RoundSummary } from '../round/index.ts'

/** Rounds in a row a node may keep its own model before it says why. */
export const KEPT_OWN_STREAK_ROUNDS = 5

/** Most peer ids named in a stall explanation; the rest are counted. */
const MAX_NAMED_PEERS = 8

/** Why a node keeps its own model: what it heard against what its rule needs. */
export interface StallInfo {
  /** Consecutive rounds, up to and including `round`, that kept the node's own model. */
  readonly rounds: number
  readonly round: number
  /** Peers whose announcements the last such round accepted. */
  readonly heard: readonly string[]
  readonly inputs: number
  readonly needed: number
  readonly rule: string
}

/**
 * Counts consecutive rounds that kept the node's own model; every {@link KEPT_OWN_STREAK_ROUNDS}th
 * such round in a row returns what the node heard and what its rule needs, so an operator learns
 * why the network does not aggregate instead of watching it silently train alone.
 */
export class KeptOwnStreak {
  readonly #rule: string
  readonly #threshold: number
  #streak = 0

  constructor (rule: string, threshold = KEPT_OWN_STREAK_ROUNDS) {
    this.#rule = rule
    this.#threshold = threshold
  }

  /** Record a finished round; a {@link StallInfo} when the streak reaches a multiple of the threshold. */
  observe (summary: Pick<RoundSummary, 'round' | 'keptOwn' | 'heard' | 'inputs' | 'needed'>): StallInfo | undefined {
    this.#streak = summary.keptOwn ? this.#streak + 1 : 0
    if (this.#streak === 0 || this.#streak % this.#threshold !== 0) return undefined
    return { rounds: this.#streak, round: summary.round, heard: summary.heard, inputs: summary.inputs, needed: summary.needed, rule: this.#rule }
  }
}

/** `kept its own model 5 rounds in a row: heard 1 peer (12D3KooW...) in round 9, 2 inputs, rule trimmed-mean needs 3`. */
export function stallText (info: StallInfo): string {
  const named = info.heard.slice(0, MAX_NAMED_PEERS).join(', ')
  const more = info.heard.length > MAX_NAMED_PEERS ? ` and ${info.heard.length - MAX_NAMED_PEERS} more` : ''
  const heard = info.heard.length === 0 ? 'heard no peer' : `heard ${info.heard.length} peer${info.heard.length === 1 ? '' : 's'} (${named}${more})`
  return `kept its own model ${info.rounds} rounds in a row: ${heard} in round ${info.round}, ${info.inputs} input${info.inputs === 1 ? '' : 's'}, rule ${info.rule} needs ${info.needed}`
}
