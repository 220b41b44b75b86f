import { weightedSum } from './streaming-pass.ts'

/** Coordinates per block when a coordinate-wise rule runs over group means: one 64 KiB scratch block per group. */
const GROUP_BLOCK = 16_384

/** The mean of each group of inputs (a one-input group is that input itself, not copied). */
export function groupMeans (groups: readonly (readonly Float32Array[])[]): Float32Array[] {
  return groups.map(members => members.length === 1 ? members[0] as Float32Array : weightedSum(members, new Float64Array(members.length).fill(1 / members.length)))
}

/**
 * `rule` over the means of `groups` (each a non-empty list of equal-length inputs). A
 * coordinate-wise rule (mean, median, trimmed mean) runs block by block, so the group means
 * are never held whole: extra memory is the output plus one block of 16,384 coordinates per
 * group. Any other rule gets the whole group means.
 */
export function ruleOverGroupMeans (
  groups: readonly (readonly Float32Array[])[],
  rule: (means: readonly Float32Array[]) => Float32Array,
  coordinateWise: boolean
): Float32Array {
  if (!coordinateWise) return rule(groupMeans(groups))
  const d = ((groups[0] as readonly Float32Array[])[0] as Float32Array).length
  const output = new Float32Array(d)
  const scratch = groups.map(() => new Float32Array(Math.min(GROUP_BLOCK, d)))
  const sum = new Float64Array(Math.min(GROUP_BLOCK, d))
  for (let lo = 0; lo < d; lo += GROUP_BLOCK) {
    const hi = Math.min(d, lo + GROUP_BLOCK)
    const blockMeans = groups.map((members, g) => {
      const mean = (scratch[g] as Float32Array).subarray(0, hi - lo)
      sum.fill(0)
      for (const member of members) {
        for (let i = lo; i < hi; i++) sum[i - lo] = (sum[i - lo] as number) + (member[i] as number)
      }
      for (let i = 0; i < hi - lo; i++) mean[i] = (sum[i] as number) / members.length
      return mean
    })
    output.set(rule(blockMeans), lo)
  }
  return output
}
