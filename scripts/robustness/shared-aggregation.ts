import { coordinateMedian } from '../../src/aggregation/index.ts'
import type { Aggregator } from '../../src/aggregation/index.ts'
import { updateCosine } from '../../src/round/index.ts'
import type { AlignmentMeasure } from '../../src/round/index.ts'

/**
 * Inputs whose coordinates all stay within ±2^49 (about 5.6e14): no sum of 16 of them, nor any
 * squared distance summed over the benchmark model's 50,890 coordinates, can overflow float32 or
 * float64, so a rule cannot produce the NaN whose clamp falls back to the asking node's own
 * coordinate (src/aggregation/weight-bound.ts). Beyond it, every node computes its own aggregate.
 */
const SHAREABLE_EXPONENT = (127 + 49) << 23
const EXPONENT_BITS = 0x7f800000

/**
 * The honest loops' rule for a simulation, computed once per distinct set of inputs. In a
 * complete graph every honest node aggregates the same models (its own first, then its peers in
 * id order), and a symmetric rule's result does not depend on that order, up to float rounding:
 * each set is aggregated once, in an order of its own (its inputs sorted by content), and every
 * node that asks gets that result. Only for symmetric rules without random buckets (with buckets
 * the order draws the buckets), and only for inputs within the bound above; other rules and
 * inputs go to the rule as they come. `computations` lists the milliseconds of every aggregation
 * actually run, for the per-aggregation cost the benchmark reports. `alignment` does the same for
 * the peer-alignment memory: its coordinate-wise median once per set of inputs (exact in any
 * order), and the cosine of a peer's update with it once per peer model, median and start (in a
 * complete graph every honest node asks for the same ones).
 */
export class SharedAggregation {
  readonly aggregator: Aggregator
  readonly computations: number[] = []
  readonly #inner: Aggregator
  readonly #shared: boolean
  readonly #fingerprints = new WeakMap<Float32Array, string | null>()
  readonly #results = new Map<string, Float32Array>()
  readonly #medians = new Map<string, Float32Array>()
  readonly #cosines = new Map<string, number>()
  /** The peer-alignment memory's median and cosine, each computed once per distinct question. */
  readonly alignment: AlignmentMeasure = Object.freeze({
    median: (inputs: readonly Float32Array[]): Float32Array => this.#median(inputs),
    cosine: (a: Float32Array, b: Float32Array, start: Float32Array): number => this.#cosine(a, b, start)
  })

  /** @param bucketed whether the rule aggregates random buckets (the spec's `bucketing` > 1). */
  constructor (aggregator: Aggregator, bucketed: boolean) {
    this.#inner = aggregator
    this.#shared = !aggregator.ownCentred && !bucketed
    const aggregate = (own: Float32Array, peers: readonly Float32Array[]): Float32Array => this.#aggregate(own, peers)
    this.aggregator = Object.freeze({ ...aggregator, aggregate })
  }

  #aggregate (own: Float32Array, peers: readonly Float32Array[]): Float32Array {
    const inputs = [own, ...peers]
    const keys = this.#shared ? inputs.map(w => this.#fingerprint(w)) : []
    if (!this.#shared || keys.includes(null)) return this.#compute(own, peers)
    const order = inputs.map((w, i) => ({ w, key: keys[i] as string })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const key = order.map(o => o.key).join(',')
    let result = this.#results.get(key)
    if (result === undefined) {
      const [first, ...rest] = order.map(o => o.w) as [Float32Array, ...Float32Array[]]
      result = this.#compute(first, rest)
      // A round's sets, and the previous round's for loops that lag: the rest are never asked again.
      if (this.#results.size >= 64) this.#results.clear()
      this.#results.set(key, result)
    }
    return result
  }

  #median (inputs: readonly Float32Array[]): Float32Array {
    const keys = inputs.map(w => this.#fingerprint(w))
    if (keys.includes(null)) return coordinateMedian(inputs)
    const key = [...keys].sort().join(',')
    let result = this.#medians.get(key)
    if (result === undefined) {
      result = coordinateMedian(inputs)
      if (this.#medians.size >= 64) this.#medians.clear()
      this.#medians.set(key, result)
    }
    return result
  }

  #cosine (a: Float32Array, b: Float32Array, start: Float32Array): number {
    const keys = [a, b, start].map(w => this.#fingerprint(w))
    if (keys.includes(null)) return updateCosine(a, b, start)
    const key = keys.join('|')
    let result = this.#cosines.get(key)
    if (result === undefined) {
      result = updateCosine(a, b, start)
      // A round asks at most one per peer and node: 16 × 15 in the benchmark.
      if (this.#cosines.size >= 1024) this.#cosines.clear()
      this.#cosines.set(key, result)
    }
    return result
  }

  #compute (own: Float32Array, peers: readonly Float32Array[]): Float32Array {
    const started = performance.now()
    const result = this.#inner.aggregate(own, peers)
    this.computations.push(performance.now() - started)
    return result
  }

  /** Two 32-bit hashes of the model's bits and its length; null when a coordinate is beyond the bound. */
  #fingerprint (weights: Float32Array): string | null {
    const known = this.#fingerprints.get(weights)
    if (known !== undefined) return known
    const bits = new Int32Array(weights.buffer, weights.byteOffset, weights.length)
    let a = 0x811c9dc5
    let b = 0x9e3779b9
    let beyond = false
    for (let j = 0; j < bits.length; j++) {
      const v = bits[j] as number
      if ((v & EXPONENT_BITS) >= SHAREABLE_EXPONENT) { beyond = true; break }
      a = Math.imul(a ^ v, 0x01000193)
      b = Math.imul(b + v, 0x85ebca6b) ^ (b >>> 13)
    }
    const fingerprint = beyond ? null : `${(a >>> 0).toString(16)}.${(b >>> 0).toString(16)}.${weights.length}`
    this.#fingerprints.set(weights, fingerprint)
    return fingerprint
  }
}
