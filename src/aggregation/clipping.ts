/**
 * Clipping helpers shared by the clipping rules: factors min(1, τ/‖x − centre‖) and the
 * weights that turn "centre + Σ wⱼ·clip(xⱼ − centre)" into one weighted sum.
 */

/**
 * The factor that scales a difference of norm `distance` down to norm `tau`:
 * 1 when distance <= tau, tau / distance above. A distance that is NaN or +Infinity gives 0
 * (the input contributes nothing).
 */
export function clipFactor (distance: number, tau: number): number {
  if (distance <= tau) return 1
  const factor = tau / distance
  return Number.isFinite(factor) ? factor : 0
}

/**
 * Weights of [centre, x₁, ..., xₙ] such that Σ weights·[centre, x...] equals
 * centre + Σⱼ mix[j]·clipFactor(‖xⱼ − centre‖, τ)·(xⱼ − centre).
 */
export function clippedUpdateWeights (distances: ArrayLike<number>, mix: ArrayLike<number>, tau: number): Float64Array {
  const weights = new Float64Array(distances.length + 1)
  let moved = 0
  for (let j = 0; j < distances.length; j++) {
    const w = (mix[j] as number) * clipFactor(distances[j] as number, tau)
    weights[j + 1] = w
    moved += w
  }
  weights[0] = 1 - moved
  return weights
}
