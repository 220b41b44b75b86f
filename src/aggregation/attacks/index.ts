export { alieDefaultZ, coordinateStatistics, honestMean, normalQuantile } from './statistics.ts'
export { DISSENSUS_EPSILON, GAUSSIAN_SIGMA, IPM_EPSILON, alieModel, dissensusModel, gaussianModel, ipmModel, signFlipModel } from './model-attacks.ts'
export { LINE_SEARCH_DEFAULTS, adaptiveAlieModel, adaptiveIpmModel, adaptiveModel, honestView, lineSearch } from './line-search.ts'
export type { LineSearchOptions } from './line-search.ts'
