/**
 * Differential privacy accounting: Rényi DP of the Poisson-subsampled Gaussian mechanism
 * (Mironov, Talwar and Zhang 2019), composed over steps and converted to (epsilon, delta) as
 * Google's dp-accounting does; the noise multiplier a budget needs; a node's budget state and its
 * persisted form. Pure: imports only src/errors. The rest of the project imports from here only.
 */
export { PrivacyParameterError } from './privacy-parameter-error.ts'
export { RDP_ORDERS, composedRdp, logAddExp, rdpOfSampledGaussian } from './rdp-accountant.ts'
export { computeEpsilon, epsilonFromRdp } from './epsilon.ts'
export type { EpsilonAtOrder, SampledGaussianRun } from './epsilon.ts'
export { MAX_NOISE_MULTIPLIER, NOISE_MULTIPLIER_RELATIVE_TOLERANCE, smallestNoiseMultiplier } from './noise-multiplier.ts'
export {
  EPSILON_AGREEMENT_RELATIVE, PRIVACY_BUDGET_FORMAT_VERSION, PrivacyBudgetExhaustedError, epsilonAgrees, createPrivacyBudget, epsilonSpent, parsePrivacyBudget,
  privacyBudgetJson, remainingSteps, spendSteps, stepsWithinBudget
} from './privacy-budget.ts'
export type { PrivacyBudget } from './privacy-budget.ts'
