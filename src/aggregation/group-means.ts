import { forEachBlock, heapF64, kernels, loadRow, openArena, rowPtr, storeRow, writeRowList } from './wasm-arena.ts'
import { weightedSum } from './streaming-pass.ts'

/** Groups of inputs, each a non-empty list of indexes into the inputs. */
export type Groups = readonly (readonly number[])[]

/** The mean of each group of `inputs` (a one-input group is that input itself, not copied). */
export function groupMeans (inputs: readonly Float32Array[], groups: Groups): Float32Array[] {
  return groups.map(group => group.length === 1
    ? inputs[group[0] as number] as Float32Array
    : weightedSum(group.map(i => inputs[i] as Float32Array), new Float64Array(group.length).fill(1 / group.length)))
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
  const n = inputs.length
  const d = (inputs[0] as Float32Array).length
  const offsets: number[] = []
  let total = 0
  for (const group of groups) { offsets.push(total); total += group.length }
  const listsAt = 0
  const weightsAt = Math.ceil((total * 4) / 8) * 8
  const arena = openArena(n + groups.length, weightsAt + total * 8, d)
  const blocks = groups.map(() => new Float32Array(arena.rowFloats))
  const output = new Float32Array(d)
  forEachBlock(arena, d, (start, count, rowBytes) => {
    // The rule may use the kernels' memory too: lay out the lists and weights again every block.
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
    output.set(rule(means), start)
  })
  return output
}
