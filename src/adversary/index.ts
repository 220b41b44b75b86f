/**
 * Attackers, for testers and the robustness benchmark: the attack math (pure functions over the
 * honest models) and an outgoing policy wrapped around an honest node's RoundNetwork, so the
 * honest round loop carries no attack branch.
 */
export { PRINCIPAL_ITERATIONS, alieDefaultZ, coordinateStatistics, dot, honestMean, norm, normalQuantile, topPrincipalDirection } from './statistics.ts'
export { mimicModel, minMaxModel, minSumModel, updateDirection } from './distance-attacks.ts'
export { OBJECTIVE_SEARCH, directionalSearch, medianAlignment, memoryAlignment, ownLossModel, searchDirections, undoProgressModel } from './objective-attacks.ts'
export { frameModel } from './framing-attack.ts'
export { Collusion } from './collusion.ts'
export { ALIGNMENT_MARGIN, AlignmentBudget } from './alignment-budget.ts'
export { DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON, alieModel, dissensusModel, gaussianModel, ipmModel, signFlipModel } from './model-attacks.ts'
export { LINE_SEARCH_DEFAULTS, adaptiveAlieModel, adaptiveIpmModel, adaptiveModel, honestView, lineSearch } from './line-search.ts'
export type { LineSearchOptions } from './line-search.ts'
export { ATTACKS, ATTACK_NAMES, OMNISCIENT_ATTACKS, UPDATE_ATTACKS, attackLabelMap, attacksHelp, formatAttack, isOmniscient, parseAttack, usesOwnModel } from './attack-spec.ts'
export type { AttackName, AttackSpec, OmniscientAttackName } from './attack-spec.ts'
export { OmniscientAttack } from './omniscient-attack.ts'
export type { OmniscientAttackComponents, OmniscientAttackInit, PeerModel } from './omniscient-attack.ts'
export { AdversarialNetwork } from './adversarial-network.ts'
export type { AdversarialNetworkComponents, AdversarialNetworkInit } from './adversarial-network.ts'
export { adversarialTrainer } from './adversarial-trainer.ts'
export { Adversary } from './adversary.ts'
export type { AdversaryComponents, AdversaryInit, AttackerNode } from './adversary.ts'
