/**
 * A seeded pseudo-random source. Every random choice in src/model (initial weights, shuffles,
 * partitions, mini-batches) draws from one of these, never from `Math.random`, so that every
 * node and every run computes the same values from the same seeds.
 */
export interface Rng {
  /** A float in [0, 1). */
  next: () => number
  /** An integer in [0, n). */
  int: (n: number) => number
  /** A standard normal variate. */
  normal: () => number
  /** A Gamma(shape, 1) variate; `shape` > 0. */
  gamma: (shape: number) => number
}

const UINT32 = 2 ** 32

/**
 * Mix a seed and any number of stream labels into one 32-bit seed, so that related streams
 * (the same swarm seed, different node indices) are decorrelated.
 * Mixing constants from MurmurHash3's fmix32: https://github.com/aappleby/smhasher
 */
export function deriveSeed (seed: number, ...parts: readonly number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9)
  for (const part of parts) h = fmix32((h ^ (part >>> 0)) + 0x9e3779b9)
  return h >>> 0
}

/**
 * A mulberry32 generator (Tommy Ettinger, public domain; period 2^32), which is plenty for
 * shuffles and sampling and is identical on every platform.
 * @param seed any number; only its low 32 bits matter.
 */
export function createRng (seed: number): Rng {
  let state = deriveSeed(seed)
  let spareNormal: number | undefined
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / UINT32
  }
  const normal = (): number => {
    if (spareNormal !== undefined) {
      const value = spareNormal
      spareNormal = undefined
      return value
    }
    // Marsaglia's polar method: two normals per accepted pair.
    for (;;) {
      const u = 2 * next() - 1
      const v = 2 * next() - 1
      const s = u * u + v * v
      if (s > 0 && s < 1) {
        const f = Math.sqrt(-2 * Math.log(s) / s)
        spareNormal = v * f
        return u * f
      }
    }
  }
  const gamma = (shape: number): number => {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, got ${shape}`)
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a), Marsaglia & Tsang 2000, section 6.
      const u = 1 - next()
      return gamma(shape + 1) * Math.pow(u, 1 / shape)
    }
    // Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000.
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      let x: number
      let v: number
      do {
        x = normal()
        v = 1 + c * x
      } while (v <= 0)
      v = v * v * v
      const u = 1 - next()
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
    }
  }
  return { next, int: (n: number) => Math.floor(next() * n), normal, gamma }
}

/** Fisher-Yates shuffle of `items` in place with `rng`; returns `items`. */
export function shuffleInPlace<T extends { length: number, [i: number]: unknown }> (items: T, rng: Rng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
  return items
}

function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
