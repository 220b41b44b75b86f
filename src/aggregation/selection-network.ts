/**
 * Selection networks: the coordinate-wise order statistics (median, trimmed mean) computed
 * branch-free, four coordinates per SIMD instruction, with no per-coordinate sort.
 *
 * A network is Batcher's odd-even merge sort on k wires (Knuth, TAOCP vol. 3, 5.3.4),
 * pruned backwards to the comparators that reach the requested output wires. When only the
 * sum of the outputs matters (trimmed mean, even-k median) a comparator whose two outputs both
 * go into the sum is dropped too, since min + max = a + b. The 0-1 principle makes a pruned
 * network's correctness checkable exhaustively (test/unit/aggregation/selection-network.test.ts).
 */
import { kernels, forEachBlock, heapF64, heapI32, loadRow, openArena, rowPtr, storeRow, writeRowList } from './wasm-arena.ts'

/** Compare-exchange kinds, as kernels.wat reads them. */
export const COMPARE = { both: 0, minOnly: 1, maxOnly: 2 } as const

/** Wire pairs (a < b: min goes to a, max to b) of Batcher's odd-even merge sort on k wires. */
export function batcherComparators (k: number): Array<readonly [number, number]> {
  let n = 1
  while (n < k) n *= 2
  const comparators: Array<readonly [number, number]> = []
  // Sort n >= k wires; the padding wires k..n-1 behave as +Infinity, so every comparator
  // that touches one (always as its max side, since a < b) is a no-op and is left out.
  for (let p = 1; p < n; p *= 2) {
    for (let step = p; step >= 1; step = step >> 1) {
      for (let j = step % p; j + step < n; j += 2 * step) {
        for (let i = 0; i < step && i + j + step < n; i++) {
          const a = i + j
          const b = i + j + step
          if (Math.floor(a / (2 * p)) === Math.floor(b / (2 * p)) && b < k) comparators.push([a, b])
        }
      }
    }
  }
  return comparators
}

/** A pruned network: triples (wire a, wire b, kind) in execution order. */
export type NetworkOps = Int32Array

const UNUSED = 0
const SUMMED = 1
const NEEDED = 2

/**
 * The comparators of a k-wire sorting network needed so that, afterwards, the wires `outputs`
 * hold the sorted values at those positions (`sumOnly` false), or hold them in some order
 * (`sumOnly` true: only their sum is used).
 */
export function pruneNetwork (k: number, outputs: readonly number[], sumOnly: boolean): NetworkOps {
  const comparators = batcherComparators(k)
  const state = new Uint8Array(k)
  for (const wire of outputs) state[wire] = sumOnly ? SUMMED : NEEDED
  const kept: number[] = []
  for (let c = comparators.length - 1; c >= 0; c--) {
    const [a, b] = comparators[c] as readonly [number, number]
    const sa = state[a] as number
    const sb = state[b] as number
    if (sa === UNUSED && sb === UNUSED) continue
    if (sa === SUMMED && sb === SUMMED) continue
    const kind = sa === UNUSED ? COMPARE.maxOnly : sb === UNUSED ? COMPARE.minOnly : COMPARE.both
    kept.push(kind, b, a)
    state[a] = NEEDED
    state[b] = NEEDED
  }
  return Int32Array.from(kept.reverse())
}

// Networks depend only on (k, outputs, sumOnly); a node sees a handful of distinct k.
const NETWORK_CACHE_LIMIT = 256
const networkCache = new Map<string, NetworkOps>()

function cachedNetwork (k: number, outputs: readonly number[], sumOnly: boolean): NetworkOps {
  const key = `${k}/${outputs.join(',')}/${sumOnly ? 's' : 'v'}`
  let ops = networkCache.get(key)
  if (ops === undefined) {
    if (networkCache.size >= NETWORK_CACHE_LIMIT) networkCache.clear()
    ops = pruneNetwork(k, outputs, sumOnly)
    networkCache.set(key, ops)
  }
  return ops
}

/**
 * For every coordinate t, `scale` times the sum of the order statistics at ranks
 * `first..last` (0-based, inclusive) of inputs[0][t], ..., inputs[k-1][t], as float32
 * (summed in float64). The inputs must be non-empty and of one length (callers check).
 *
 * Cost: one pass over the k·d inputs, with O(k log² k) SIMD compare-exchanges per 4
 * coordinates; extra memory: the output and one block of rows in linear memory.
 */
export function orderStatisticMean (inputs: readonly Float32Array[], first: number, last: number): Float32Array {
  const k = inputs.length
  const d = (inputs[0] as Float32Array).length
  const outputs: number[] = []
  for (let rank = first; rank <= last; rank++) outputs.push(rank)
  const ops = cachedNetwork(k, outputs, outputs.length > 1)
  const count = outputs.length
  // scratch: ops (12 bytes each), output row list (4 each), weights (8 each)
  const opsAt = 0
  const listAt = ops.length * 4
  const weightsAt = Math.ceil((listAt + count * 4) / 8) * 8
  const arena = openArena(k + 1, weightsAt + count * 8, d)
  const i32 = heapI32()
  const f64 = heapF64()
  for (let i = 0; i < ops.length; i += 3) {
    i32[(opsAt >> 2) + i] = rowPtr(arena, ops[i] as number)
    i32[(opsAt >> 2) + i + 1] = rowPtr(arena, ops[i + 1] as number)
    i32[(opsAt >> 2) + i + 2] = ops[i + 2] as number
  }
  writeRowList(arena, listAt, outputs)
  f64.fill(1 / count, weightsAt >> 3, (weightsAt >> 3) + count)
  const out = new Float32Array(d)
  const nOps = ops.length / 3
  forEachBlock(arena, d, (start, n, rowBytes) => {
    for (let i = 0; i < k; i++) loadRow(arena, i, inputs[i] as Float32Array, start, n)
    kernels.network(opsAt, nOps, rowBytes)
    if (count === 1) {
      storeRow(arena, first, out, start, n)
    } else {
      kernels.weightedSum(listAt, weightsAt, count, rowPtr(arena, k), rowBytes)
      storeRow(arena, k, out, start, n)
    }
  })
  return out
}
