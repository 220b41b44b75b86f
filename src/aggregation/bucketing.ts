import { checkCount, checkInputs } from './inputs.ts'
import { groupMeans, ruleOverGroupMeans } from './group-means.ts'
import { fingerprints } from './streaming-pass.ts'

/** Options of {@link bucketing} and {@link bucketMeans}. */
export interface BucketingOptions {
  /** Inputs per bucket, s. @default 2 (bucketing repository `--bucketing 2`, docs/robustness-literature.md section 1) */
  readonly s?: number
  /** Keys the shuffle; the same seed and inputs always give the same buckets. @default 0 */
  readonly seed?: number
}

/** Options of {@link bucketing}. */
export interface BucketingRuleOptions extends BucketingOptions {
  /**
   * The rule is coordinate-wise (mean, median, trimmed mean): apply it block by block, so the
   * bucket means are never held whole. @default false
   */
  readonly coordinateWise?: boolean
}

/** Default bucket size, see {@link BucketingOptions.s}. */
export const BUCKET_SIZE = 2

/**
 * The inputs shuffled and averaged in groups of s (the last group may be smaller): ⌈k/s⌉
 * bucket means. A one-input bucket is that input itself (not copied).
 *
 * The shuffle is a pure function of the inputs' contents and the seed: inputs are ordered by
 * a seeded 32-bit fingerprint of their bits (ties, i.e. equal vectors or a collision, by
 * position), so the buckets change every round as the models do, need no state between calls,
 * and do not depend on the order the inputs arrived in. An omniscient attacker can grind its
 * fingerprint to pick its bucket; the bucketing guarantee already assumes the worst placement
 * (each Byzantine input spoils one bucket).
 */
export function bucketMeans (inputs: readonly Float32Array[], options: BucketingOptions = {}): Float32Array[] {
  return groupMeans(inputs, buckets(inputs, options))
}

/** The inputs' indexes in their buckets, shuffled as {@link bucketMeans} describes. */
function buckets (inputs: readonly Float32Array[], options: BucketingOptions): number[][] {
  const s = options.s ?? BUCKET_SIZE
  checkCount('bucketing', 's', s, 1)
  checkInputs('bucketing', inputs, 1, 'k >= 1')
  const keys = fingerprints(inputs, (options.seed ?? 0) | 0)
  const order = Array.from(inputs, (_, i) => i)
  order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b)
  const groups: number[][] = []
  for (let start = 0; start < order.length; start += s) groups.push(order.slice(start, start + s))
  return groups
}

/**
 * Bucketing (Karimireddy, He, Jaggi, ICLR 2022, https://arxiv.org/abs/2006.09365) around any
 * rule: `rule` applied to the {@link bucketMeans} of the inputs.
 *
 * Guarantee: f Byzantine inputs spoil at most f of the ⌈k/s⌉ buckets, and averaging s inputs
 * divides the honest heterogeneity the base rule sees by about s; so the base rule must
 * tolerate f Byzantine inputs among ⌈k/s⌉. Precondition: the base rule's, over ⌈k/s⌉ inputs.
 * Cost: O(kd) (a fingerprint pass and the means) plus the base rule over ⌈k/s⌉ inputs; extra
 * memory: for a coordinate-wise rule, the output plus ⌈k/s⌉ blocks (the rule runs block by
 * block); for any other rule, ⌈k/s⌉ whole bucket means, then the rule's own.
 */
export function bucketing (
  inputs: readonly Float32Array[],
  rule: (buckets: readonly Float32Array[]) => Float32Array,
  options: BucketingRuleOptions = {}
): Float32Array {
  return ruleOverGroupMeans(inputs, buckets(inputs, options), rule, options.coordinateWise === true)
}
