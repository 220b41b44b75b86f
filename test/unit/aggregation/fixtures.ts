/** Seeded test data for the aggregation tests. */

/** A seeded PRNG (mulberry32): the same seed gives the same sequence, in [0, 1). */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` vectors of length d, values uniform in [centre − spread, centre + spread). */
export function randomVectors (random: () => number, count: number, d: number, spread = 1, centre = 0): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: d }, () => centre + spread * (2 * random() - 1)))
}

/** Vectors from literal rows. */
export function vectors (...rows: number[][]): Float32Array[] {
  return rows.map(row => Float32Array.from(row))
}

/** Deep copies, to check later that inputs were not mutated. */
export function copies (inputs: readonly Float32Array[]): Float32Array[] {
  return inputs.map(x => x.slice())
}

/** A random permutation of [0, n) from `random`. */
export function permutation (random: () => number, n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = order[i] as number
    order[i] = order[j] as number
    order[j] = swap
  }
  return order
}

/** Euclidean distance, in float64. */
export function distance (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let t = 0; t < a.length; t++) sum += ((a[t] as number) - (b[t] as number)) ** 2
  return Math.sqrt(sum)
}

/** Largest |a[t] − b[t]|. */
export function maxAbsDifference (a: Float32Array, b: Float32Array): number {
  let max = 0
  for (let t = 0; t < a.length; t++) max = Math.max(max, Math.abs((a[t] as number) - (b[t] as number)))
  return max
}

/** Plain arrays, for assert.deepEqual messages. */
export function plain (x: Float32Array): number[] {
  return Array.from(x)
}
