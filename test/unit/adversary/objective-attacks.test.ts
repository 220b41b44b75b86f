import assert from 'node:assert/strict'
import {
  ALIGNMENT_MARGIN, AlignmentBudget, Collusion, OmniscientAttack, adaptiveAlieModel, medianAlignment, memoryAlignment, parseAttack, adaptiveIpmModel, coordinateStatistics, dot, honestView, mimicModel, minMaxModel, minSumModel, norm,
  ownLossModel, searchDirections, topPrincipalDirection, undoProgressModel, updateDirection
} from '../../../src/adversary/index.ts'
import { coordinateMedian, createAggregator } from '../../../src/aggregation/index.ts'
import { updateCosine } from '../../../src/round/index.ts'
import type { Aggregator } from '../../../src/aggregation/index.ts'
import { copies, randomVectors, seededRandom, vectors } from '../aggregation/fixtures.ts'

const random = seededRandom(17)
// Twelve honest models: a common update of +1 on every coordinate from the reference 0, plus noise.
const REFERENCE = new Float32Array(20)
const HONEST = randomVectors(random, 12, 20, 0.5, 1)

function distance (a: Float32Array, b: Float32Array): number {
  return norm(a.map((v, j) => v - (b[j] as number)))
}

function maxPairwise (models: readonly Float32Array[]): number {
  let best = 0
  for (const a of models) for (const b of models) best = Math.max(best, distance(a, b))
  return best
}

/** ⟨aggregate − reference, μ − reference⟩: the honest progress the aggregate keeps. */
function progress (aggregate: Float32Array): number {
  const { mean } = coordinateStatistics(HONEST)
  return dot(aggregate.map((v, j) => v - (REFERENCE[j] as number)), mean.map((m, j) => m - (REFERENCE[j] as number)))
}

/** The aggregator with its searches' evaluation done the plain way: every candidate aggregated from scratch. */
function plainlyEvaluated (aggregator: Aggregator): Aggregator {
  return { ...aggregator, withRepeatedInput: (own, peers, count) => x => aggregator.aggregate(own, [...peers, ...Array.from({ length: count }, () => x)]) }
}

function bits (v: Float32Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length)
}

describe('the searches with the rule\'s faster evaluation', () => {
  it('pick the same model, bit for bit, as with every candidate aggregated from scratch', () => {
    // 13 honest models of 6,001 coordinates (two kernel blocks), 3 attackers, as in the benchmark.
    const honest = randomVectors(seededRandom(23), 13, 6_001, 0.5, 1)
    const reference = new Float32Array(6_001)
    for (const spec of [{ rule: 'median', f: 3, nnm: true }, { rule: 'trimmed-mean', b: 3, nnm: true }]) {
      const fast = createAggregator(spec)
      const plain = plainlyEvaluated(fast)
      assert.deepEqual(bits(undoProgressModel(fast, honest, 3, reference)), bits(undoProgressModel(plain, honest, 3, reference)))
      assert.deepEqual(bits(adaptiveAlieModel(fast, honest, 3).model), bits(adaptiveAlieModel(plain, honest, 3).model))
      assert.deepEqual(bits(adaptiveIpmModel(fast, honest, 3).model), bits(adaptiveIpmModel(plain, honest, 3).model))
    }
  })
})

describe('attacks beyond distance', () => {
  it('min-max stays within the largest honest pairwise distance, and reaches it', () => {
    const direction = updateDirection(HONEST, REFERENCE)
    const model = minMaxModel(HONEST, direction)
    const bound = maxPairwise(HONEST)
    const farthest = Math.max(...HONEST.map(x => distance(model, x)))
    assert.ok(farthest <= bound * (1 + 1e-5), `${farthest} > ${bound}`)
    assert.ok(farthest >= bound * (1 - 1e-4), `${farthest} well inside ${bound}: gamma not the largest`)
    // It moves against the update: less progress than the honest mean.
    assert.ok(progress(model) < progress(coordinateStatistics(HONEST).mean))
  })

  it('min-sum keeps its sum of squared distances within the largest honest one, and reaches it', () => {
    const model = minSumModel(HONEST, updateDirection(HONEST, REFERENCE))
    const sum = (x: Float32Array): number => HONEST.reduce((s, y) => s + distance(x, y) ** 2, 0)
    const bound = Math.max(...HONEST.map(sum))
    assert.ok(sum(model) <= bound * (1 + 1e-5), `${sum(model)} > ${bound}`)
    assert.ok(sum(model) >= bound * (1 - 1e-4))
  })

  it('the update direction is the unit honest update, or the unit std with no reference', () => {
    const e = updateDirection(HONEST, REFERENCE)
    assert.ok(Math.abs(norm(e) - 1) < 1e-6)
    const { mean, std } = coordinateStatistics(HONEST)
    assert.ok(Math.abs(dot(e, mean) - norm(mean)) < 1e-4)
    assert.ok(Math.abs(dot(updateDirection(HONEST), std) - norm(std)) < 1e-4)
  })

  it('mimic copies the honest model farthest along the top principal direction', () => {
    // Spread along the first coordinate only: the outlier at 5 is the one copied.
    const honest = vectors([0, 1], [1, 1], [-1, 1], [5, 1])
    const v = topPrincipalDirection(honest)
    assert.ok(Math.abs(Math.abs(v[0] as number) - 1) < 1e-6 && Math.abs(v[1] as number) < 1e-6)
    assert.deepEqual([...mimicModel(honest)], [5, 1])
    assert.notEqual(mimicModel(honest), honest[3])
  })

  it('the top principal direction is, bit for bit, the written-out power iteration (map, reduce, map)', () => {
    // The form it had before its loops were made plain: robustness results must not change.
    const reference = (honest: readonly Float32Array[], iterations = 20): Float32Array => {
      const { mean } = coordinateStatistics(honest)
      const centred = honest.map(x => x.map((v, j) => v - (mean[j] as number)))
      let v = centred.reduce((best, c) => (norm(c) > norm(best) ? c : best), centred[0] as Float32Array)
      for (let t = 0; t < iterations; t++) {
        const length = norm(v)
        if (length === 0) return v
        const next = new Float32Array(v.length)
        for (const c of centred) {
          const w = dot(c, v) / length
          for (let j = 0; j < next.length; j++) next[j] = (next[j] as number) + w * (c[j] as number)
        }
        v = next
      }
      const length = norm(v)
      return length === 0 ? v : v.map(x => x / length)
    }
    const rng = seededRandom(5)
    for (const [k, d, scale] of [[13, 301, 1], [4, 64, 1e-3], [7, 1000, 30]] as const) {
      const honest = randomVectors(rng, k, d, scale, 0)
      assert.deepEqual(topPrincipalDirection(honest), reference(honest))
      assert.deepEqual(topPrincipalDirection(honest, 3), reference(honest, 3))
    }
    const same = vectors([1, 2], [1, 2])
    assert.deepEqual(topPrincipalDirection(same), reference(same))
  })

  it('search directions: negated update, principal direction and -std, each of the update\'s length', () => {
    const directions = searchDirections(HONEST, REFERENCE)
    assert.equal(directions.length, 3)
    const { mean } = coordinateStatistics(HONEST)
    for (const d of directions) assert.ok(Math.abs(norm(d) - norm(mean)) < 1e-3)
    assert.ok(dot(directions[0] as Float32Array, mean) < -0.99 * norm(mean) ** 2)
  })

  it('progress undone reverses the mean\'s step (the objective has no bound there)', () => {
    const aggregator = createAggregator({ rule: 'mean' })
    const undo = undoProgressModel(aggregator, HONEST, 3, REFERENCE)
    assert.ok(progress(honestView(aggregator, HONEST, undo, 3)) < 0)
    assert.ok(undo.every(Number.isFinite))
  })

  for (const spec of [{ rule: 'median', f: 3 }, { rule: 'median', f: 3, nnm: true }, { rule: 'clipped-gossip', f: 3 }]) {
    it(`progress undone beats ALIE-opt and IPM-opt on their own ground against ${JSON.stringify(spec)}`, () => {
      const aggregator = createAggregator(spec)
      const undo = undoProgressModel(aggregator, HONEST, 3, REFERENCE)
      const own = progress(honestView(aggregator, HONEST, undo, 3))
      for (const other of [adaptiveAlieModel(aggregator, HONEST, 3).model, adaptiveIpmModel(aggregator, HONEST, 3).model]) {
        assert.ok(own <= progress(honestView(aggregator, HONEST, other, 3)) + 1e-6)
      }
      assert.ok(own < progress(honestView(aggregator, HONEST, coordinateStatistics(HONEST).mean, 3)))
      assert.ok(undo.every(Number.isFinite))
    })
  }

  it('with a floor, progress undone only sends a model aligned at the floor or more with the median it joins, and undoes no more', () => {
    const aggregator = createAggregator({ rule: 'trimmed-mean', b: 3, nnm: true })
    const alignment = (model: Float32Array): number =>
      updateCosine(model, coordinateMedian([...HONEST, ...Array.from({ length: 3 }, () => model)]), REFERENCE)
    const free = undoProgressModel(aggregator, HONEST, 3, REFERENCE)
    // A floor above the free search's model, so that the floor binds.
    const floor = (1 + alignment(free)) / 2
    const bound = undoProgressModel(aggregator, HONEST, 3, REFERENCE, { alignmentFloor: floor })
    assert.ok(alignment(bound) >= floor, `aligned at ${alignment(bound)}, floor ${floor}`)
    assert.ok(progress(honestView(aggregator, HONEST, bound, 3)) >= progress(honestView(aggregator, HONEST, free, 3)))
  })

  it('against a peer-alignment memory, the search keeps to its threshold unless told another floor', () => {
    // Against the mean, progress undone sends the negated update: aligned at about -1.
    const peers = HONEST.map((weights, i) => ({ peerId: `h${i}`, weights }))
    const craft = (attack: string, spec: Record<string, unknown>): Float32Array =>
      new OmniscientAttack({ attack: parseAttack(attack) as never, byzantine: 3 }, { aggregator: createAggregator({ rule: 'mean', ...spec }) }).craft(peers, REFERENCE) as Float32Array
    const free = craft('undo-progress', {})
    assert.ok(medianAlignment(free, HONEST, 3, REFERENCE) < -0.9)
    assert.ok(medianAlignment(craft('undo-progress', { alignmentThreshold: 0.5 }), HONEST, 3, REFERENCE) >= 0.5)
    assert.deepEqual(craft('undo-progress:floor=-1', { alignmentThreshold: 0.5 }), free)
  })

  it('against a memory with withOwn, the floor counts the higher of the cosines with the median\'s update and the first honest node\'s own', () => {
    const peers = HONEST.map((weights, i) => ({ peerId: `h${i}`, weights }))
    const craft = (spec: Record<string, unknown>): Float32Array =>
      new OmniscientAttack({ attack: parseAttack('undo-progress') as never, byzantine: 3 }, { aggregator: createAggregator({ rule: 'mean', ...spec }) }).craft(peers, REFERENCE) as Float32Array
    const model = craft({ alignmentThreshold: 0.5, alignmentWithOwn: true })
    assert.ok(memoryAlignment(model, HONEST, 3, REFERENCE, true) >= 0.5)
    assert.equal(memoryAlignment(model, HONEST, 3, REFERENCE, false), medianAlignment(model, HONEST, 3, REFERENCE))
    assert.equal(memoryAlignment(model, HONEST, 3, REFERENCE, true), Math.max(medianAlignment(model, HONEST, 3, REFERENCE), updateCosine(model, HONEST[0] as Float32Array, REFERENCE)))
  })

  it('slack: the floor keeps the estimated average at the threshold, so banked rounds buy lower ones', () => {
    const options = { threshold: -0.1, decay: 0.9, warmupRounds: 10, withOwn: false, ceiling: 1 }
    const target = -0.1 + ALIGNMENT_MARGIN
    const budget = new AlignmentBudget()
    assert.equal(budget.floor(options), target)
    budget.spend(options, 0, 0.8)
    // 0.9 * 0.8 + 0.1 * floor = target: floor = -8.0, clamped to -1.
    assert.equal(budget.floor(options), -1)
    budget.spend(options, 0, -1)
    assert.equal(budget.floor(options), -1, 'a round counts once')
    let average = 0.8
    for (let round = 1; round < 7; round++) {
      budget.spend(options, round, -1)
      average = 0.9 * average - 0.1
    }
    // 0.8 → 0.62 → 0.458 → 0.3122 → 0.18098 → 0.062882 → -0.0434062: the floor is inside (-1, 1) again.
    assert.ok(Math.abs(budget.floor(options) - (target - 0.9 * average) / 0.1) < 1e-9, `${budget.floor(options)}`)
    assert.ok(budget.floor(options) > -1)
    budget.spend(options, 7, budget.floor(options))
    assert.ok(Math.abs(budget.floor(options) - target) < 1e-9, 'spent: back at the threshold')
  })

  it('slack: against a ceiling, a round banks at most the ceiling', () => {
    const options = { threshold: -0.1, decay: 0.9, warmupRounds: 10, withOwn: false, ceiling: 0.3 }
    const budget = new AlignmentBudget()
    budget.spend(options, 0, 0.8)
    // Counted as 0.3: 0.9 * 0.3 + 0.1 * floor = -0.08 gives floor = -3.5, clamped to -1; then
    // 0.9 * 0.3 - 0.1 = 0.17 and 0.9 * 0.17 + 0.1 * floor = -0.08 gives -2.33, clamped; then 0.053 gives -1.277, clamped;
    // then 0.9 * 0.053 - 0.1 = -0.0523: floor (-0.08 + 0.04707) / 0.1 = -0.3293.
    for (let round = 1; round < 4; round++) {
      assert.equal(budget.floor(options), -1)
      budget.spend(options, round, -1)
    }
    assert.ok(Math.abs(budget.floor(options) - (-0.08 - 0.9 * (0.9 * (0.9 * (0.9 * 0.3 - 0.1) - 0.1) - 0.1)) / 0.1) < 1e-9, `${budget.floor(options)}`)
  })

  it('slack: a search spends the banked slack on a model below the threshold, then keeps to the next floor', () => {
    const memory = createAggregator({ rule: 'mean', alignmentThreshold: 0.5, alignmentDecay: 0.5 })
    const options = memory.alignment as NonNullable<typeof memory.alignment>
    const peers = HONEST.map((weights, i) => ({ peerId: `h${i}`, weights }))
    const budget = new AlignmentBudget()
    const attack = new OmniscientAttack({ attack: parseAttack('undo-progress:slack=1') as never, byzantine: 3 }, { aggregator: memory, budget })
    budget.spend(options, 0, 1)
    // Banked at 1: this round may go as low as (0.52 - 0.5 * 1) / 0.5 = 0.04.
    const first = medianAlignment(attack.craft(peers, REFERENCE, 1) as Float32Array, HONEST, 3, REFERENCE)
    assert.ok(first < 0.5 && first >= 0.04, `aligned at ${first}`)
    const floor = budget.floor(options)
    assert.ok(Math.abs(floor - (0.52 - 0.5 * (0.5 + 0.5 * first)) / 0.5) < 1e-9, `floor ${floor}`)
    const second = medianAlignment(attack.craft(peers, REFERENCE, 2) as Float32Array, HONEST, 3, REFERENCE)
    assert.ok(second >= floor, `aligned at ${second}, floor ${floor}`)
  })

  it('slack with from=R: the rounds before R send the honest mean and bank; from R on, the slack is spent', () => {
    const memory = createAggregator({ rule: 'mean', alignmentThreshold: 0.5, alignmentDecay: 0.5 })
    const peers = HONEST.map((weights, i) => ({ peerId: `h${i}`, weights }))
    const attack = new OmniscientAttack({ attack: parseAttack('undo-progress:slack=1,from=3') as never, byzantine: 3 }, { aggregator: memory })
    for (const round of [0, 1, 2]) assert.deepEqual(attack.craft(peers, REFERENCE, round), coordinateStatistics(HONEST).mean)
    const spent = medianAlignment(attack.craft(peers, REFERENCE, 3) as Float32Array, HONEST, 3, REFERENCE)
    assert.ok(spent < 0.5, `aligned at ${spent}`)
  })

  it('own loss maximises the given loss of the aggregate', () => {
    const median = createAggregator({ rule: 'median', f: 3 })
    // A loss that grows as the first coordinate drops.
    const loss = (w: Float32Array): number => -(w[0] as number)
    const model = ownLossModel(median, HONEST, 3, REFERENCE, loss)
    const noAttack = loss(honestView(median, HONEST, coordinateStatistics(HONEST).mean, 3))
    assert.ok(loss(honestView(median, HONEST, model, 3)) > noAttack)
  })

  it('the attacks never mutate the honest models', () => {
    const before = copies(HONEST)
    const median = createAggregator({ rule: 'median', f: 3 })
    minMaxModel(HONEST, updateDirection(HONEST, REFERENCE)); minSumModel(HONEST, updateDirection(HONEST)); mimicModel(HONEST)
    undoProgressModel(median, HONEST, 3, REFERENCE); ownLossModel(median, HONEST, 3, REFERENCE, w => norm(w))
    assert.deepEqual(HONEST, before)
  })

  it('colluders craft once per round and honest set', () => {
    const collusion = new Collusion()
    let crafted = 0
    const craft = (): Float32Array => { crafted++; return Float32Array.of(crafted) }
    const first = collusion.craftOnce(3, ['b', 'a'], craft)
    assert.equal(collusion.craftOnce(3, ['a', 'b'], craft), first)
    assert.notEqual(collusion.craftOnce(3, ['a'], craft), first)
    collusion.forgetBefore(4)
    collusion.craftOnce(3, ['a', 'b'], craft)
    assert.equal(crafted, 3)
  })
})
