/**
 * Each rule's proven Byzantine bound, as code: where its output must lie, given only the
 * honest inputs, whatever the f Byzantine inputs are. The compliance suite checks every
 * registered rule against its bound; the derivations are in each rule's TSDoc.
 */

/** A ball that the output is proven to lie in. */
export interface ProvenBall {
  readonly centre: Float32Array
  readonly radius: number
}

/**
 * `'honest-range'`: every output coordinate lies within the honest inputs' range at that
 * coordinate. `'ball'`: the output lies in `ball(honest, k)`, where `honest` are the honest
 * inputs (the node's own model first) and k counts every input the rule saw.
 */
export type ByzantineBound =
  | { readonly kind: 'honest-range' }
  | { readonly kind: 'ball', ball (honest: readonly Float32Array[], k: number): ProvenBall }

function distance (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let t = 0; t < a.length; t++) sum += ((a[t] as number) - (b[t] as number)) ** 2
  return Math.sqrt(sum)
}

function meanOf (vectors: readonly Float32Array[]): Float32Array {
  const d = (vectors[0] as Float32Array).length
  const sum = new Float64Array(d)
  for (const v of vectors) for (let t = 0; t < d; t++) sum[t] = (sum[t] as number) + (v[t] as number)
  return Float32Array.from(sum, x => x / vectors.length)
}

/** Euclidean length of the diagonal of the honest inputs' coordinate-wise bounding box. */
function boxDiagonal (vectors: readonly Float32Array[]): number {
  const d = (vectors[0] as Float32Array).length
  let sum = 0
  for (let t = 0; t < d; t++) {
    let lo = Infinity
    let hi = -Infinity
    for (const v of vectors) {
      lo = Math.min(lo, v[t] as number)
      hi = Math.max(hi, v[t] as number)
    }
    sum += (hi - lo) ** 2
  }
  return Math.sqrt(sum)
}

/** Within the honest inputs' coordinate range. */
export const HONEST_RANGE: ByzantineBound = { kind: 'honest-range' }

/**
 * Geometric median started at the coordinate-wise median z₀ (inside the honest box, so
 * ‖z₀ − c‖ <= the box diagonal D): (k − 2f)‖z − c‖ <= k·D + 2(k − f)·r + k·ν/2.
 */
export function geometricMedianBound (f: number, nu: number): ByzantineBound {
  return {
    kind: 'ball',
    ball (honest, k) {
      const centre = meanOf(honest)
      const r = Math.max(...honest.map(x => distance(x, centre)))
      return { centre, radius: (k * boxDiagonal(honest) + 2 * (k - f) * r + k * nu / 2) / (k - 2 * f) }
    }
  }
}

/** Centered clipping from a centre inside the honest box: ‖output − c‖ <= D + L·τ. */
export function centeredClippingBound (tau: number, iterations: number): ByzantineBound {
  return {
    kind: 'ball',
    ball (honest) {
      return { centre: meanOf(honest), radius: boxDiagonal(honest) + iterations * tau }
    }
  }
}

/** Largest distance from the own model (honest[0]) to an honest input. */
function farthestHonest (honest: readonly Float32Array[]): number {
  const own = honest[0] as Float32Array
  return Math.max(0, ...honest.map(x => distance(x, own)))
}

/**
 * ClippedGossip around the own model x: ‖output − x‖ <= ((k − 1 − f)·M + f·τ_H)/k, with a
 * fixed τ in place of τ_H = M·sqrt((k − f − 1)/f) when one is set.
 */
export function clippedGossipBound (f: number, tau: number | 'adaptive'): ByzantineBound {
  return {
    kind: 'ball',
    ball (honest, k) {
      const m = farthestHonest(honest)
      const tauH = tau !== 'adaptive' ? tau : f === 0 ? 0 : m * Math.sqrt(Math.max(0, k - f - 1) / f)
      return { centre: honest[0] as Float32Array, radius: ((k - 1 - f) * Math.min(m, tau === 'adaptive' ? m : tau) + f * tauH) / k }
    }
  }
}

/** CS+ around the own model x: ‖output − x‖ <= (k − 1)/k·M. */
export const CS_PLUS_BOUND: ByzantineBound = {
  kind: 'ball',
  ball (honest, k) {
    return { centre: honest[0] as Float32Array, radius: (k - 1) / k * farthestHonest(honest) }
  }
}

/**
 * Nearest-neighbour mixing before a rule that stays in its honest inputs' coordinate range.
 * Each mixed honest input lies within D (the largest honest pairwise distance) of its honest
 * input, so within r + D of the honest mean c (r: the largest honest distance to c). The
 * output's every coordinate lies between two mixed honest inputs' values, so
 * ‖output − c‖² <= Σ over the h mixed honest inputs of their squared distances to c:
 * ‖output − c‖ <= sqrt(h)·(r + D).
 */
export const NNM_HONEST_RANGE_BOUND: ByzantineBound = {
  kind: 'ball',
  ball (honest) {
    const centre = meanOf(honest)
    const r = Math.max(...honest.map(x => distance(x, centre)))
    const d = Math.max(...honest.map(x => Math.max(...honest.map(y => distance(x, y)))))
    return { centre, radius: Math.sqrt(honest.length) * (r + d) }
  }
}
