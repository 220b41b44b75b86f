/**
 * The bound every aggregate is clamped to. A rule's output of finite inputs can still be useless
 * or overflow: under the mean, an attacker who scales its model by a searched factor each round
 * grows the honest models about 40-fold a round until float32 overflows (inf, then NaN) within
 * 25 rounds. Clamping the aggregate's coordinates to ±WEIGHT_BOUND keeps every model finite
 * (training from weights of this size stays finite for the benchmark's 5 steps of learning rate
 * 0.2) without rescuing the mean's accuracy; trained models of the benchmark's dense network stay
 * far inside it, so robust rules never reach it.
 */
export const WEIGHT_BOUND = 100

/**
 * The aggregate with each coordinate clamped to [−bound, bound]; NaN (which finite inputs can
 * only give through ∞ − ∞ in a float32 rule) becomes the node's own coordinate. Returns
 * `aggregate` itself, untouched, when nothing needs clamping.
 */
export function clampAggregate (aggregate: Float32Array, own: Float32Array, bound: number = WEIGHT_BOUND): Float32Array {
  let out: Float32Array | undefined
  for (let j = 0; j < aggregate.length; j++) {
    const v = aggregate[j] as number
    if (v >= -bound && v <= bound) continue
    out ??= Float32Array.from(aggregate)
    out[j] = Number.isNaN(v) ? Math.max(-bound, Math.min(bound, own[j] as number)) : v > bound ? bound : -bound
  }
  return out ?? aggregate
}
