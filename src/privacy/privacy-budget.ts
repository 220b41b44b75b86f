import { PrivacyParameterError } from './privacy-parameter-error.ts'
import { checkDelta, epsilonFromRdp } from './epsilon.ts'
import type { EpsilonAtOrder } from './epsilon.ts'
import { RDP_ORDERS, checkMechanism, checkSteps, composedRdp } from './rdp-accountant.ts'

/**
 * A node's privacy budget and what it has spent: the public parameters of its DP-SGD steps and
 * how many it has taken. Plain frozen data; epsilon spent is always recomputed from the steps,
 * never added up, so it cannot drift.
 */
export interface PrivacyBudget {
  /** The epsilon the node may spend in all, a finite number > 0. */
  readonly epsilonBudget: number
  /** The delta of every guarantee, in (0, 1). */
  readonly delta: number
  /** sigma, the noise's standard deviation over the clipping norm, > 0. */
  readonly noiseMultiplier: number
  /** q, the Poisson sampling rate of each step, in (0, 1]. */
  readonly samplingRate: number
  /** Steps taken so far, a whole number >= 0. */
  readonly stepsSpent: number
}

/** The version of the persisted form; a reader refuses any other. */
export const PRIVACY_BUDGET_FORMAT_VERSION = 1

/** A recorded epsilon and its recomputation may differ by this much (relative) and still agree: room for another implementation's last bits. */
export const EPSILON_AGREEMENT_RELATIVE = 1e-9

/** Whether a recorded epsilon is the one recomputed (equal, or within {@link EPSILON_AGREEMENT_RELATIVE} of it). */
export function epsilonAgrees (recorded: number, recomputed: number): boolean {
  return recorded === recomputed || Math.abs(recorded - recomputed) <= EPSILON_AGREEMENT_RELATIVE * recomputed
}

/**
 * A checked, frozen budget (stepsSpent defaults to 0).
 * @throws PrivacyParameterError naming the parameter out of range
 */
export function createPrivacyBudget (init: Omit<PrivacyBudget, 'stepsSpent'> & { stepsSpent?: number }): PrivacyBudget {
  const { epsilonBudget, delta, noiseMultiplier, samplingRate, stepsSpent = 0 } = init
  if (!(epsilonBudget > 0 && Number.isFinite(epsilonBudget))) throw new PrivacyParameterError('epsilonBudget', `got ${epsilonBudget}, expected a finite number above 0`)
  checkDelta(delta)
  checkMechanism(samplingRate, noiseMultiplier)
  if (!(noiseMultiplier > 0 && Number.isFinite(noiseMultiplier))) throw new PrivacyParameterError('noiseMultiplier', `got ${noiseMultiplier}, expected a finite number above 0`)
  if (samplingRate === 0) throw new PrivacyParameterError('samplingRate', 'got 0, expected a number above 0 and at most 1')
  checkSteps(stepsSpent)
  return Object.freeze({ epsilonBudget, delta, noiseMultiplier, samplingRate, stepsSpent })
}

/** The epsilon spent by the budget's steps so far (0 before the first), and its order. */
export function epsilonSpent (budget: PrivacyBudget): EpsilonAtOrder {
  return epsilonAfter(budget, budget.stepsSpent)
}

function epsilonAfter (budget: PrivacyBudget, steps: number): EpsilonAtOrder {
  return epsilonFromRdp(RDP_ORDERS, composedRdp(budget.samplingRate, budget.noiseMultiplier, steps), budget.delta)
}

/**
 * The most steps in all (spent ones included) whose epsilon stays within the budget; a budget
 * met exactly counts as within. Epsilon grows with the steps, so an exponential then binary
 * search over whole numbers finds it. Number.MAX_SAFE_INTEGER when no count is over it.
 */
export function stepsWithinBudget (budget: PrivacyBudget): number {
  const within = (steps: number): boolean => epsilonAfter(budget, steps).epsilon <= budget.epsilonBudget
  if (!within(1)) return 0
  let lo = 1
  let hi = 2
  while (within(hi)) {
    if (hi === Number.MAX_SAFE_INTEGER) return hi
    lo = hi
    hi = Math.min(hi * 2, Number.MAX_SAFE_INTEGER)
  }
  // Invariant: lo is within the budget, hi is over it.
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2)
    if (within(mid)) lo = mid
    else hi = mid
  }
  return lo
}

/** Steps the budget still allows (0 when the next step would exceed it). */
export function remainingSteps (budget: PrivacyBudget): number {
  return Math.max(0, stepsWithinBudget(budget) - budget.stepsSpent)
}

/**
 * The budget after `steps` more steps.
 * @throws PrivacyBudgetExhaustedError when they would take epsilon over the budget; nothing is spent then
 */
export function spendSteps (budget: PrivacyBudget, steps: number): PrivacyBudget {
  checkSteps(steps)
  const after = epsilonAfter(budget, budget.stepsSpent + steps)
  if (after.epsilon > budget.epsilonBudget) throw new PrivacyBudgetExhaustedError(budget, steps, after.epsilon)
  return Object.freeze({ ...budget, stepsSpent: budget.stepsSpent + steps })
}

/** More steps were asked of a budget than it allows. Not bad input: the caller stops or relays. */
export class PrivacyBudgetExhaustedError extends Error {
  constructor (budget: PrivacyBudget, steps: number, epsilon: number) {
    super(`privacy budget: ${steps} more steps after ${budget.stepsSpent} would spend epsilon ${epsilon} of ${budget.epsilonBudget} (delta ${budget.delta})`)
    this.name = 'PrivacyBudgetExhaustedError'
  }
}

/**
 * The persisted form: canonical JSON (keys sorted, no white space, numbers in JavaScript's
 * shortest round-trip form), with the epsilon spent and its order for readers that keep no
 * accountant, and a format version, e.g.
 * `{"delta":0.00001,"epsilonBudget":4,"epsilonSpent":0.52...,"noiseMultiplier":1.1,"order":..,"samplingRate":0.004,"stepsSpent":100,"version":1}`.
 */
export function privacyBudgetJson (budget: PrivacyBudget): string {
  const spent = epsilonSpent(budget)
  const fields: Record<string, number> = {
    delta: budget.delta,
    epsilonBudget: budget.epsilonBudget,
    epsilonSpent: spent.epsilon,
    noiseMultiplier: budget.noiseMultiplier,
    order: spent.order,
    samplingRate: budget.samplingRate,
    stepsSpent: budget.stepsSpent,
    version: PRIVACY_BUDGET_FORMAT_VERSION
  }
  return `{${Object.keys(fields).sort().map(k => `${JSON.stringify(k)}:${JSON.stringify(fields[k])}`).join(',')}}`
}

/**
 * Read a persisted budget strictly: exactly the fields of {@link privacyBudgetJson}, each in
 * range, the known version, and an epsilon spent that this accountant recomputes from the steps.
 * @throws PrivacyParameterError naming the field at fault (the caller adds the file's name)
 */
export function parsePrivacyBudget (text: string): PrivacyBudget {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new PrivacyParameterError('privacyBudget', 'not JSON', { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PrivacyParameterError('privacyBudget', 'expected a JSON object')
  const fields = value as Record<string, unknown>
  const keys = ['delta', 'epsilonBudget', 'epsilonSpent', 'noiseMultiplier', 'order', 'samplingRate', 'stepsSpent', 'version']
  const extra = Object.keys(fields).filter(k => !keys.includes(k))
  if (extra.length > 0) throw new PrivacyParameterError(extra[0] as string, `unknown field; known: ${keys.join(', ')}`)
  for (const key of keys) {
    if (typeof fields[key] !== 'number') throw new PrivacyParameterError(key, `got ${JSON.stringify(fields[key]) ?? 'nothing'}, expected a number`)
  }
  const number = (key: string): number => fields[key] as number
  if (number('version') !== PRIVACY_BUDGET_FORMAT_VERSION) throw new PrivacyParameterError('version', `got ${number('version')}, expected ${PRIVACY_BUDGET_FORMAT_VERSION}`)
  const budget = createPrivacyBudget({
    epsilonBudget: number('epsilonBudget'),
    delta: number('delta'),
    noiseMultiplier: number('noiseMultiplier'),
    samplingRate: number('samplingRate'),
    stepsSpent: number('stepsSpent')
  })
  const spent = epsilonSpent(budget)
  const stored = number('epsilonSpent')
  if (!epsilonAgrees(stored, spent.epsilon)) {
    throw new PrivacyParameterError('epsilonSpent', `got ${stored}, but ${budget.stepsSpent} steps at these parameters spend ${spent.epsilon}`)
  }
  return budget
}
