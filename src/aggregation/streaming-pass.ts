/**
 * Whole-vector passes built on the SIMD kernels: weighted sums, distances to a centre, pairwise
 * distances and content fingerprints. Each reads every input once from main memory, in blocks,
 * and accumulates in float64. Extra memory: what the caller asks to be written, plus O(k)
 * (pairwise: O(k^2)) scalars; the block rows live in the kernels' linear memory.
 */
import { kernels, forEachBlock, heapF64, heapI32, loadRow, openArena, rowPtr, storeRow, writeRowList } from './wasm-arena.ts'

/** What one {@link streamPass} computes. */
export interface StreamPassOptions {
  /** When given, `target` := Σ weights[i]·vectors[i] (float64 sum, stored as float32). */
  readonly weights?: ArrayLike<number>
  /**
   * The vector the pass writes, or (without `weights`) reads as a centre. It may be one of
   * `vectors` (an in-place update): each block is read before it is written.
   */
  readonly target?: Float32Array
  /** Return ‖vectors[i] − centre‖² for i < measure. Default 0. */
  readonly measure?: number
  /** The centre for `measure`: `'target'` (after any update) or an index into `vectors`. Default `'target'`. */
  readonly centre?: 'target' | number
  /**
   * Blocks as long as those of a pass over this many rows (default: this pass's own), so that
   * distances summed here equal bit for bit those of that pass ({@link pairwiseSquaredDistances}).
   */
  readonly blockRows?: number
}

/**
 * One blocked pass over `vectors` (all of length d): optionally write a weighted sum into
 * `target`, then optionally measure squared Euclidean distances to a centre.
 * @returns the squared distances (length `measure`).
 */
export function streamPass (vectors: readonly Float32Array[], options: StreamPassOptions): Float64Array {
  const n = vectors.length
  const d = (vectors[0] as Float32Array).length
  const { weights, target } = options
  const measure = options.measure ?? 0
  const centre = options.centre ?? 'target'
  const listAt = 0
  const weightsAt = Math.ceil((n * 4) / 8) * 8
  const distAt = weightsAt + n * 8
  const arena = openArena(n + 1, distAt + n * 8, d, options.blockRows)
  const f64 = heapF64()
  writeRowList(arena, listAt, vectors.map((_, i) => i))
  if (weights !== undefined) for (let i = 0; i < n; i++) f64[(weightsAt >> 3) + i] = weights[i] as number
  f64.fill(0, distAt >> 3, (distAt >> 3) + n)
  const targetRow = n
  const centrePtr = rowPtr(arena, centre === 'target' ? targetRow : centre)
  forEachBlock(arena, d, (start, count, rowBytes) => {
    for (let i = 0; i < n; i++) loadRow(arena, i, vectors[i] as Float32Array, start, count)
    if (target !== undefined) {
      if (weights !== undefined) {
        kernels.weightedSum(listAt, weightsAt, n, rowPtr(arena, targetRow), rowBytes)
        storeRow(arena, targetRow, target, start, count)
      } else {
        loadRow(arena, targetRow, target, start, count)
      }
    }
    if (measure > 0) kernels.squaredDistances(listAt, measure, centrePtr, rowBytes, distAt)
  })
  return heapF64().slice(distAt >> 3, (distAt >> 3) + measure)
}

/** Σ weights[i]·vectors[i] as a new vector (float64 sums). */
export function weightedSum (vectors: readonly Float32Array[], weights: ArrayLike<number>): Float32Array {
  const target = new Float32Array((vectors[0] as Float32Array).length)
  streamPass(vectors, { weights, target })
  return target
}

/**
 * Squared Euclidean distances between every pair of vectors, as a symmetric n×n matrix
 * (row-major, zero diagonal), summed in float64. Each distance is summed block by block, in
 * blocks of a pass over `blockRows` vectors (default n): equal bit for bit to the same pair's
 * distance in such a pass, and to {@link streamPass}'s `measure` with the same `blockRows`.
 */
export function pairwiseSquaredDistances (vectors: readonly Float32Array[], blockRows = vectors.length): Float64Array {
  const n = vectors.length
  const d = (vectors[0] as Float32Array).length
  const listAt = 0
  const matrixAt = Math.ceil((n * 4) / 8) * 8
  const arena = openArena(n, matrixAt + n * n * 8, d, blockRows)
  writeRowList(arena, listAt, vectors.map((_, i) => i))
  heapF64().fill(0, matrixAt >> 3, (matrixAt >> 3) + n * n)
  forEachBlock(arena, d, (start, count, rowBytes) => {
    for (let i = 0; i < n; i++) loadRow(arena, i, vectors[i] as Float32Array, start, count)
    kernels.pairwiseSquaredDistances(listAt, n, rowBytes, matrixAt)
  })
  const matrix = heapF64().slice(matrixAt >> 3, (matrixAt >> 3) + n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) matrix[j * n + i] = matrix[i * n + j] as number
  }
  return matrix
}

/**
 * A 32-bit fingerprint of each vector's bits and length, keyed by `seed`: equal vectors get
 * equal fingerprints, and a vector's fingerprint does not depend on the others. Not
 * cryptographic.
 */
export function fingerprints (vectors: readonly Float32Array[], seed: number): Uint32Array {
  const n = vectors.length
  const d = (vectors[0] as Float32Array).length
  const listAt = 0
  const stateAt = Math.ceil((n * 4) / 16) * 16
  const arena = openArena(n, stateAt + n * 16, d)
  writeRowList(arena, listAt, vectors.map((_, i) => i))
  const i32 = heapI32()
  for (let i = 0; i < n * 4; i++) i32[(stateAt >> 2) + i] = (seed ^ Math.imul(i & 3, 0x85EBCA77)) | 0
  forEachBlock(arena, d, (start, count, rowBytes) => {
    for (let i = 0; i < n; i++) loadRow(arena, i, vectors[i] as Float32Array, start, count)
    kernels.fingerprintRows(listAt, n, rowBytes, stateAt)
  })
  const out = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    let h = d >>> 0
    for (let lane = 0; lane < 4; lane++) {
      h = Math.imul(h ^ (heapI32()[(stateAt >> 2) + i * 4 + lane] as number), 0xCC9E2D51)
      h = (h << 15) | (h >>> 17)
    }
    out[i] = h >>> 0
  }
  return out
}
