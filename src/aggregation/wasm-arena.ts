/**
 * The WebAssembly SIMD kernels (kernels.wat) and the block streaming that feeds them.
 *
 * A rule streams the coordinates [0, d) through linear memory in blocks: for each block it
 * copies that slice of every input into a row, runs kernels over the rows, and copies result
 * rows out. The rows of one block fit in the L2 cache, so each input is read from main memory
 * once per pass. Linear memory holds only one block of rows plus O(k) (O(k^2) for Krum)
 * parameters, whatever d is; it is kept between calls and grows only for larger k.
 *
 * Calls are synchronous and JavaScript runs one at a time, so one module instance serves every
 * rule; no kernel keeps state between calls.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.ts'
import { compileWasm } from './wasm-module.ts'
import type { WasmMemory } from './wasm-module.ts'

interface KernelExports {
  readonly memory: WasmMemory
  network (ops: number, nOps: number, rowBytes: number): void
  weightedSum (rows: number, weights: number, n: number, out: number, rowBytes: number): void
  squaredDistances (rows: number, n: number, centre: number, rowBytes: number, dist: number): void
  pairwiseSquaredDistances (rows: number, n: number, rowBytes: number, matrix: number): void
  fingerprintRows (rows: number, n: number, rowBytes: number, state: number): void
}

/**
 * Bytes of rows per block: small enough for the L2 cache (1 MiB per core here, 256 KiB or more
 * on current x86 and ARM cores), large enough that the per-block JavaScript overhead (one
 * typed-array copy per row) stays small. Measured with scripts/bench-aggregation.ts.
 */
const BLOCK_ROW_BYTES = 256 * 1024
/** Lanes of a v128. */
const LANES = 4
const PAGE_BYTES = 65_536

const kernels = compileWasm(KERNELS_WASM_BASE64)() as KernelExports

let f32 = new Float32Array(kernels.memory.buffer)
let f64 = new Float64Array(kernels.memory.buffer)
let i32 = new Int32Array(kernels.memory.buffer)

/** Where one aggregation's scratch and rows live in linear memory. */
export interface Arena {
  /** Byte offset of the scratch area (16-byte aligned, as long as asked for). */
  readonly scratch: number
  /** Byte offset of row 0; rows follow each other. */
  readonly rowsBase: number
  /** Float32 values per row (a multiple of 4). */
  readonly rowFloats: number
}

/**
 * Lay out `scratchBytes` of parameters and `rows` rows for vectors of length `d`, growing
 * linear memory if needed. Invalidates earlier views: take {@link heapF64} / {@link heapI32}
 * after it. The block length is that of `blockRows` rows (default `rows`): a pass that must
 * reproduce another pass's float64 sums bit for bit (their grouping follows the blocks) uses
 * that pass's row count.
 */
export function openArena (rows: number, scratchBytes: number, d: number, blockRows = rows): Arena {
  const rowsBase = Math.ceil(scratchBytes / 16) * 16
  const budgetFloats = Math.floor(BLOCK_ROW_BYTES / 4 / blockRows / LANES) * LANES
  const rowFloats = Math.max(LANES * 4, Math.min(budgetFloats, Math.ceil(d / LANES) * LANES))
  const needed = rowsBase + rows * rowFloats * 4
  const memory = kernels.memory
  if (memory.buffer.byteLength < needed) {
    memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES))
  }
  if (f32.buffer !== memory.buffer) {
    f32 = new Float32Array(memory.buffer)
    f64 = new Float64Array(memory.buffer)
    i32 = new Int32Array(memory.buffer)
  }
  return { scratch: 0, rowsBase, rowFloats }
}

/** Byte offset of row `row` in the arena. */
export function rowPtr (arena: Arena, row: number): number {
  return arena.rowsBase + row * arena.rowFloats * 4
}

/** Bytes of linear memory the kernels hold now (scratch and rows of the largest k so far). */
export function arenaBytes (): number {
  return kernels.memory.buffer.byteLength
}

/** A Float64Array view of linear memory (valid until the next {@link openArena}). */
export function heapF64 (): Float64Array { return f64 }
/** An Int32Array view of linear memory (valid until the next {@link openArena}). */
export function heapI32 (): Int32Array { return i32 }

/**
 * Call `step(start, count, rowBytes)` for consecutive blocks covering [0, d). `rowBytes` is
 * `count` rounded up to whole v128 lanes, in bytes.
 */
export function forEachBlock (arena: Arena, d: number, step: (start: number, count: number, rowBytes: number) => void): void {
  for (let start = 0; start < d; start += arena.rowFloats) {
    const count = Math.min(arena.rowFloats, d - start)
    step(start, count, Math.ceil(count / LANES) * LANES * 4)
  }
}

/** Copy `source[start, start + count)` into row `row`, zeroing the lanes past `count`. */
export function loadRow (arena: Arena, row: number, source: Float32Array, start: number, count: number): void {
  const at = rowPtr(arena, row) >> 2
  f32.set(source.subarray(start, start + count), at)
  const padded = Math.ceil(count / LANES) * LANES
  if (padded !== count) f32.fill(0, at + count, at + padded)
}

/** Copy the first `count` values of row `row` into `target[start, start + count)`. */
export function storeRow (arena: Arena, row: number, target: Float32Array, start: number, count: number): void {
  const at = rowPtr(arena, row) >> 2
  target.set(f32.subarray(at, at + count), start)
}

/** Write the byte offsets of `rowIndexes` as i32 at byte offset `at`. */
export function writeRowList (arena: Arena, at: number, rowIndexes: readonly number[]): void {
  for (let i = 0; i < rowIndexes.length; i++) i32[(at >> 2) + i] = rowPtr(arena, rowIndexes[i] as number)
}

export { kernels }
