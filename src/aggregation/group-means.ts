import { forEachBlock, heapF64, kernels, loadRow, openArena, rowPtr, storeRow, writeRowList } from './wasm-arena.ts'

/** Groups of inputs, each a non-empty list of indexes into the inputs. */
export type Groups = readonly (readonly number[])[]

/** The mean of each group of `inputs` (a one-input group is that input itself, not copied). */
export function groupMeans (inputs: readonly Float32Array[], groups: Groups): Float32Array[] {
  const summed = summedGroupMeans(inputs, groups.filter(group => group.length > 1))
  let next = 0
  return groups.map(group => (group.length === 1 ? inputs[group[0] as number] as Float32Array : summed[next++] as Float32Array))
}

/**
 * The mean of each group of `inputs`, each summed by the kernel as {@link ruleOverGroupMeans}
 * sums it (a one-input group too), in one blocked pass: each block of every input is read once
 * and all groups' means of that block are formed while it is in cache.
 */
export function summedGroupMeans (inputs: readonly Float32Array[], groups: Groups): Float32Array[] {
  const d = (inputs[0] as Float32Array).length
  const means = groups.map(() => new Float32Array(d))
  if (groups.length > 0) forEachGroupMeanBlock(inputs, groups, (start, blocks) => means.forEach((mean, g) => mean.set(blocks[g] as Float32Array, start)))
  return means
}

/**
 * `rule` over the means of `groups` of `inputs`. A coordinate-wise rule (mean, median, trimmed
 * mean) runs block by block: each block of every input is read once, the group means of that
 * block are formed by the SIMD kernel while the block is in cache, and the rule runs over them;
 * extra memory is the output plus one block per group. Any other rule gets whole group means.
 */
export function ruleOverGroupMeans (
  inputs: readonly Float32Array[],
  groups: Groups,
  rule: (means: readonly Float32Array[]) => Float32Array,
  coordinateWise: boolean
): Float32Array {
  if (!coordinateWise) return rule(groupMeans(inputs, groups))
  const output = new Float32Array((inputs[0] as Float32Array).length)
  forEachGroupMeanBlock(inputs, groups, (start, blocks) => output.set(rule(blocks), start))
  return output
}

/**
 * For consecutive blocks of coordinates, `visit(start, blocks)` with blocks[g] the mean of group
 * g over that block (float64 sums in group order, as float32). `visit` may use the kernels'
 * memory: the lists and weights are laid out again for every block.
 */
export function forEachGroupMeanBlock (inputs: readonly Float32Array[], groups: Groups, visit: (start: number, blocks: readonly Float32Array[]) => void): void {
  const n = inputs.length
  const d = (inputs[0] as Float32Array).length
  const offsets: number[] = []
  let total = 0
  for (const group of groups) { offsets.push(total); total += group.length }
  const listsAt = 0
  const weightsAt = Math.ceil((total * 4) / 8) * 8
  const arena = openArena(n + groups.length, weightsAt + total * 8, d)
  const blocks = groups.map(() => new Float32Array(arena.rowFloats))
  forEachBlock(arena, d, (start, count, rowBytes) => {
    openArena(n + groups.length, weightsAt + total * 8, d)
    const f64 = heapF64()
    groups.forEach((group, g) => {
      writeRowList(arena, listsAt + (offsets[g] as number) * 4, group)
      f64.fill(1 / group.length, (weightsAt >> 3) + (offsets[g] as number), (weightsAt >> 3) + (offsets[g] as number) + group.length)
    })
    for (let i = 0; i < n; i++) loadRow(arena, i, inputs[i] as Float32Array, start, count)
    const means = groups.map((group, g) => {
      const row = n + g
      kernels.weightedSum(listsAt + (offsets[g] as number) * 4, weightsAt + (offsets[g] as number) * 8, group.length, rowPtr(arena, row), rowBytes)
      const block = (blocks[g] as Float32Array).subarray(0, count)
      storeRow(arena, row, block, 0, count)
      return block
    })
    visit(start, means)
  })
}
