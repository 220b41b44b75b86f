/**
 * Adaptive robust clipping (ARC; Allouah, Guerraoui, Gupta, Jellouli, Rizk, Stephan, "Boosting
 * Robustness by Clipping Gradients in Distributed Learning", ICLR 2025,
 * https://arxiv.org/abs/2405.14432), around the node's own model: a pre-aggregation step that
 * pulls the peers farthest from it in to the distance of the next farthest, before the rule.
 */
import { clipFactor } from './clipping.ts'
import { checkCount, checkInputs } from './inputs.ts'
import { streamPass, weightedSum } from './streaming-pass.ts'

/**
 * How many of n inputs ARC clips when f of them may be Byzantine: ⌊2·(f/n)·(n − f)⌋ (the paper's
 * k; never more than n/2, 0 when f = 0).
 */
export function arcClipCount (n: number, f: number): number {
  return Math.floor(2 * (f / n) * (n - f))
}

/**
 * The peers after ARC around `own`: with n = 1 + peers.length inputs (the own model's distance 0
 * among them) and k = {@link arcClipCount}(n, f), the k peers farthest from `own` are moved
 * along the line to `own` until their distance is the (k+1)-th largest, own + τ/‖x − own‖·(x − own);
 * the others are returned as they are (the same arrays). Ties are broken by input order, so the
 * result does not depend on anything but the inputs. A non-finite distance counts as the
 * farthest and clips to `own`. Never mutates inputs.
 * Cost: one pass for the distances, one per clipped peer; O(kd) extra memory for the clipped peers.
 * @throws AggregationPreconditionError when the lengths differ or f is not an integer >= 0.
 */
export function adaptiveRobustClipping (own: Float32Array, peers: readonly Float32Array[], f: number): Float32Array[] {
  checkCount('adaptive robust clipping', 'f', f, 0)
  const vectors = [own, ...peers]
  checkInputs('adaptive robust clipping', vectors, 1, 'the own model')
  const n = vectors.length
  const k = arcClipCount(n, f)
  if (k === 0 || peers.length === 0) return [...peers]
  const distances = Array.from(streamPass(vectors, { measure: n, centre: 0 }), x => Number.isNaN(x) ? Infinity : Math.sqrt(x))
  // Farthest first; equal distances in input order (the own model, at 0, last among zeros).
  const order = distances.map((_, i) => i).sort((a, b) => (distances[b] as number) - (distances[a] as number) || a - b)
  const tau = distances[order[k] as number] as number
  const out = [...peers]
  for (const i of order.slice(0, k)) {
    if (i === 0) continue
    const factor = clipFactor(distances[i] as number, tau)
    if (factor === 0) out[i - 1] = own.slice()
    else if (factor < 1) out[i - 1] = weightedSum([own, vectors[i] as Float32Array], [1 - factor, factor])
  }
  return out
}
