/**
 * The compliance suite: every registered rule (RULE_NAMES, through createAggregator, so a new
 * rule is covered as soon as it is registered), with its default f, with f = 2, with
 * bucketing, with nearest-neighbour mixing and with adaptive robust clipping (with and without
 * mixing), must keep its contract and its proven Byzantine bound.
 */
import assert from 'node:assert/strict'
import { AggregationPreconditionError, AggregationSpecError, RULE_NAMES, createAggregator } from '../../../src/aggregation/index.ts'
import type { Aggregator } from '../../../src/aggregation/index.ts'
import { copies, distance, maxAbsDifference, permutation, randomVectors, seededRandom } from './fixtures.ts'

/** Not a multiple of 4, so the SIMD tail lanes are exercised. */
const D = 37
const HUGE = 1e30

function variantsOf (rule: string): Aggregator[] {
  const specs = [{ rule }, { rule, f: 2 }, { rule, bucketing: 2, seed: 7 }, { rule, f: 2, nnm: true }, { rule, f: 2, arc: true }, { rule, f: 2, nnm: true, arc: true }]
  const aggregators: Aggregator[] = []
  for (const spec of specs) {
    try {
      aggregators.push(createAggregator(spec))
    } catch (error) {
      // A rule may refuse a variant (mean allows no f > 0, nnm applies to some rules); anything else is a failure.
      if (!(error instanceof AggregationSpecError)) throw error
    }
  }
  return aggregators
}

function label (agg: Aggregator): string {
  return `${agg.name} (f=${agg.f}, ${agg.requirement})`
}

/** Bitwise equality, so that NaN equals NaN. */
function sameBits (a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

type Attack = (honest: readonly Float32Array[], count: number) => Float32Array[]

function honestBox (honest: readonly Float32Array[]): { lo: Float32Array, hi: Float32Array } {
  const lo = new Float32Array(D).fill(Infinity)
  const hi = new Float32Array(D).fill(-Infinity)
  for (const x of honest) {
    for (let t = 0; t < D; t++) {
      lo[t] = Math.min(lo[t] as number, x[t] as number)
      hi[t] = Math.max(hi[t] as number, x[t] as number)
    }
  }
  return { lo, hi }
}

const ATTACKS: Record<string, Attack> = {
  'all +1e30': (_, n) => Array.from({ length: n }, () => new Float32Array(D).fill(HUGE)),
  'all -1e30': (_, n) => Array.from({ length: n }, () => new Float32Array(D).fill(-HUGE)),
  'alternating ±1e30': (_, n) => Array.from({ length: n }, (_, i) => Float32Array.from({ length: D }, (_, t) => (t + i) % 2 === 0 ? HUGE : -HUGE)),
  'colluding at the honest maximum': (honest, n) => Array.from({ length: n }, () => honestBox(honest).hi.slice()),
  'split between honest minimum and maximum': (honest, n) => {
    const { lo, hi } = honestBox(honest)
    return Array.from({ length: n }, (_, i) => Float32Array.from({ length: D }, (_, t) => ((t + i) % 2 === 0 ? lo : hi)[t] as number))
  },
  'one honest input nudged outwards': (honest, n) => {
    const { lo, hi } = honestBox(honest)
    return Array.from({ length: n }, (_, i) => Float32Array.from({ length: D }, (_, t) => {
      const x = (honest[i % honest.length] as Float32Array)[t] as number
      return x + 0.9 * (((lo[t] as number) + (hi[t] as number)) / 2 < x ? (hi[t] as number) - x : (lo[t] as number) - x)
    }))
  }
}

function checkBound (agg: Aggregator, out: Float32Array, honest: readonly Float32Array[], k: number, what: string): void {
  if (agg.bound.kind === 'honest-range') {
    const { lo, hi } = honestBox(honest)
    for (let t = 0; t < D; t++) {
      const v = out[t] as number
      assert.ok(v >= (lo[t] as number) && v <= (hi[t] as number),
        `${label(agg)} ${what}: coordinate ${t} = ${v} outside the honest range [${lo[t]}, ${hi[t]}]`)
    }
  } else {
    const { centre, radius } = agg.bound.ball(honest, k)
    const moved = distance(out, centre)
    assert.ok(moved <= radius * (1 + 1e-6) + 1e-5, `${label(agg)} ${what}: ${moved} from the centre, proven radius ${radius}`)
  }
}

for (const rule of RULE_NAMES) {
  describe(`compliance: ${rule}`, () => {
    for (const agg of variantsOf(rule)) {
      describe(label(agg), () => {
        const sizes = [agg.minInputs, agg.minInputs + 2]

        it('returns a new vector of the inputs\' length and never mutates the inputs', () => {
          for (const k of sizes) {
            const inputs = randomVectors(seededRandom(k), k, D)
            const before = copies(inputs)
            const out = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            assert.equal(out.length, D)
            assert.ok(inputs.every(x => x !== out), 'the output must not alias an input')
            inputs.forEach((x, i) => assert.ok(sameBits(x, before[i] as Float32Array), `input ${i} was mutated`))
          }
        })

        it('is deterministic', () => {
          for (const k of sizes) {
            const inputs = randomVectors(seededRandom(100 + k), k, D)
            const a = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            const b = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            assert.ok(sameBits(a, b))
          }
        })

        it('returns x when every input is x', () => {
          for (const k of sizes) {
            const [x] = randomVectors(seededRandom(200 + k), 1, D, 3, 1) as [Float32Array]
            const out = agg.aggregate(x, Array.from({ length: k - 1 }, () => x.slice()))
            assert.ok(maxAbsDifference(out, x) <= 1e-6, `${label(agg)}: ${maxAbsDifference(out, x)} from x at k=${k}`)
          }
        })

        it(agg.ownCentred ? 'is invariant under permutations of the peers' : 'is invariant under permutations of all inputs', () => {
          const random = seededRandom(300)
          for (const k of sizes) {
            const inputs = randomVectors(random, k, D)
            const reference = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            for (let trial = 0; trial < 5; trial++) {
              let out: Float32Array
              if (agg.ownCentred) {
                const order = permutation(random, k - 1)
                out = agg.aggregate(inputs[0] as Float32Array, order.map(i => inputs[i + 1] as Float32Array))
              } else {
                const order = permutation(random, k).map(i => inputs[i] as Float32Array)
                out = agg.aggregate(order[0] as Float32Array, order.slice(1))
              }
              // Sums in a different order may round differently in the last float32 bit.
              assert.ok(maxAbsDifference(out, reference) <= 1e-6, `${label(agg)}: ${maxAbsDifference(out, reference)} at k=${k}`)
            }
          }
        })

        it('refuses fewer than minInputs inputs, and inputs of different lengths', () => {
          if (agg.minInputs > 1) {
            const inputs = randomVectors(seededRandom(400), agg.minInputs - 1, D)
            assert.throws(() => agg.aggregate(inputs[0] as Float32Array, inputs.slice(1)), AggregationPreconditionError)
          }
          const inputs = randomVectors(seededRandom(401), agg.minInputs + 1, D)
          inputs[inputs.length - 1] = new Float32Array(D + 1)
          assert.throws(() => agg.aggregate(inputs[0] as Float32Array, inputs.slice(1)), AggregationPreconditionError)
        })

        for (const [attackName, attack] of Object.entries(ATTACKS)) {
          it(`keeps its Byzantine bound with f inputs ${attackName}`, () => {
            const random = seededRandom(500)
            for (const k of sizes) {
              for (const [spread, centre] of [[1, 0], [0.01, 5]] as const) {
                const honest = randomVectors(random, k - agg.f, D, spread, centre)
                const byzantine = attack(honest, agg.f)
                // The own model is honest; Byzantine peers are mixed in at random positions.
                const peers = [...honest.slice(1), ...byzantine]
                const order = permutation(random, peers.length).map(i => peers[i] as Float32Array)
                const out = agg.aggregate(honest[0] as Float32Array, order)
                assert.equal(out.length, D)
                checkBound(agg, out, honest, k, `k=${k}, spread=${spread}`)
              }
            }
          })
        }

        it('stays defined when non-finite values reach it (the validator normally refuses them)', () => {
          for (const k of sizes) {
            const inputs = randomVectors(seededRandom(600 + k), k, D)
            const poisoned = inputs[k - 1] as Float32Array
            poisoned[0] = NaN
            poisoned[1] = Infinity
            poisoned[2] = -Infinity
            poisoned.fill(NaN, 20)
            const before = copies(inputs)
            const a = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            const b = agg.aggregate(inputs[0] as Float32Array, inputs.slice(1))
            assert.equal(a.length, D)
            assert.ok(sameBits(a, b), 'not deterministic')
            inputs.forEach((x, i) => assert.ok(sameBits(x, before[i] as Float32Array), `input ${i} was mutated`))
          }
        })
      })
    }
  })
}
