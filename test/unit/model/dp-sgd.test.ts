import assert from 'node:assert/strict'
import * as tf from '@tensorflow/tfjs'
import { createRng, cryptoUniform, featureValues, gaussianNoise, initialWeights, poissonSample, privatiseUpdate } from '../../../src/model/index.ts'
import { TrainingCore, clippedGradientSum, privatisedGradient, useBackend } from '../../../src/model/tfjs.ts'
import { weightsToTensors } from '../../../src/model/dense-model.ts'
import type { ModelSpec } from '../../../src/protocol/index.ts'
import { blobShard } from './fixtures.ts'

const MLP: ModelSpec = {
  inputSize: 6,
  hiddenLayers: [{ type: 'dense', units: 5, activation: 'relu' }, { type: 'dense', units: 4, activation: 'tanh' }, { type: 'dense', units: 4, activation: 'sigmoid' }, { type: 'dense', units: 3, activation: 'linear' }],
  classes: 3
}
const BATCH = 9

/** A seeded batch: features in [-2, 2), labels in 0..classes-1. */
function batchOf (model: ModelSpec, n: number, seed: number): { x: Float32Array, y: Int32Array } {
  const rng = createRng(seed)
  return { x: Float32Array.from({ length: n * model.inputSize }, () => 4 * rng.next() - 2), y: Int32Array.from({ length: n }, () => rng.int(model.classes)) }
}

/** The looped reference: every example's gradient by autodiff, one by one, flattened. */
function perExampleGradients (model: ModelSpec, params: tf.Tensor[], x: Float32Array, y: Int32Array): Float64Array[] {
  const out: Float64Array[] = []
  for (let i = 0; i < y.length; i++) {
    const grads = tf.tidy(() => {
      const xi = tf.tensor2d(x.subarray(i * model.inputSize, (i + 1) * model.inputSize), [1, model.inputSize])
      const yi = tf.oneHot(tf.tensor1d([y[i] as number], 'int32'), model.classes)
      const loss = (...p: tf.Tensor[]): tf.Scalar => {
        let h: tf.Tensor2D = xi
        const hidden = model.hiddenLayers
        for (let l = 0; l <= hidden.length; l++) {
          const z = tf.add(tf.matMul(h, p[2 * l] as tf.Tensor2D), p[2 * l + 1] as tf.Tensor1D) as tf.Tensor2D
          const activation = hidden[l]?.activation
          h = activation === 'relu' ? tf.relu(z) : activation === 'tanh' ? tf.tanh(z) : activation === 'sigmoid' ? tf.sigmoid(z) : z
        }
        return tf.losses.softmaxCrossEntropy(yi, h, undefined, undefined, tf.Reduction.SUM)
      }
      return tf.grads(loss)(params)
    })
    out.push(Float64Array.from(grads.flatMap(g => Array.from(g.dataSync()))))
    tf.dispose(grads)
  }
  return out
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0))
const flatten = (tensors: tf.Tensor[]): Float64Array => Float64Array.from(tensors.flatMap(t => Array.from(t.dataSync())))

function checkAgainstReference (relative: number): void {
  const params = weightsToTensors(MLP, initialWeights(MLP, 5))
  const { x, y } = batchOf(MLP, BATCH, 9)
  try {
    const reference = perExampleGradients(MLP, params, x, y)
    const refNorms = reference.map(norm)
    // A clipping norm between the smallest and largest gradient norms, so both branches run.
    const clipNorm = [...refNorms].sort((a, b) => a - b)[Math.floor(BATCH / 2)] as number
    assert.ok(refNorms.some(n => n > clipNorm * 1.01) && refNorms.some(n => n < clipNorm * 0.99), 'some examples clipped, some not')
    const expected = new Float64Array(reference[0]?.length ?? 0)
    reference.forEach((g, i) => {
      const c = Math.min(1, clipNorm / (refNorms[i] as number))
      g.forEach((v, k) => { expected[k] = (expected[k] as number) + c * v })
    })

    const xs = tf.tensor2d(x, [BATCH, MLP.inputSize])
    const ys = tf.tensor1d(y, 'int32')
    const fast = clippedGradientSum(MLP, params, xs, ys, clipNorm)
    tf.dispose([xs, ys])
    fast.norms.forEach((n, i) => assert.ok(Math.abs(n - (refNorms[i] as number)) <= relative * (refNorms[i] as number), `norm ${i}: ${n} vs ${refNorms[i]}`))
    const got = flatten(fast.sum)
    tf.dispose(fast.sum)
    assert.equal(got.length, expected.length)
    const error = norm(got.map((v, k) => v - (expected[k] as number)))
    assert.ok(error <= relative * norm(expected), `clipped sum off by ${error / norm(expected)} (relative)`)
  } finally {
    tf.dispose(params)
  }
}

describe('model/DP-SGD', () => {
  after(async () => { await useBackend('auto') })

  it('clips a linear model\'s gradient as computed by hand', async () => {
    await useBackend('cpu')
    // Zero weights, x = [1, 0], class 0: p = [.5, .5], g = p - onehot = [-.5, .5]; the kernel
    // gradient x g^T has rows [-.5, .5] and [0, 0], the bias gradient is g: norm sqrt(4 * .25) = 1.
    const linear: ModelSpec = { inputSize: 2, hiddenLayers: [], classes: 2 }
    const params = weightsToTensors(linear, new Float32Array(6))
    const x = tf.tensor2d([1, 0, 1, 0], [2, 2])
    const y = tf.tensor1d([0, 0], 'int32')
    const { sum, norms } = clippedGradientSum(linear, params, x, y, 0.5)
    assert.deepEqual(Array.from(norms), [1, 1])
    // Two examples, each halved: twice half of the gradient.
    assert.deepEqual(Array.from(flatten(sum)), [-0.5, 0.5, 0, 0, -0.5, 0.5])
    tf.dispose([...params, x, y, ...sum])
  })

  it('gives the per-example norms and clipped sum of the looped reference on cpu (1e-5 relative)', async () => {
    await useBackend('cpu')
    checkAgainstReference(1e-5)
  })

  it('gives the per-example norms and clipped sum of the looped reference on wasm (1e-4 relative)', async () => {
    await useBackend('wasm')
    checkAgainstReference(1e-4)
  })

  it('draws Gaussian noise with the standard deviation asked for (within 1% over 10^6 crypto draws)', () => {
    const std = 1.1 * 0.7
    const draws = gaussianNoise(1_000_000, std)
    let sum = 0
    let squares = 0
    for (const v of draws) { sum += v; squares += v * v }
    const mean = sum / draws.length
    const measured = Math.sqrt(squares / draws.length - mean * mean)
    assert.ok(Math.abs(measured - std) <= 0.01 * std, `std ${measured}, expected ${std}`)
    // The mean's standard error is std / 1000; 5 of them is far beyond chance.
    assert.ok(Math.abs(mean) <= 5 * std / 1000, `mean ${mean}`)
    assert.deepEqual(gaussianNoise(5, 1, createRng(3)), gaussianNoise(5, 1, createRng(3)))
    assert.notDeepEqual(gaussianNoise(5, 1), gaussianNoise(5, 1))
  })

  it('draws uniforms in [0, 1) from the CSPRNG', () => {
    const u = cryptoUniform()
    let below = 0
    for (let i = 0; i < 100_000; i++) {
      const v = u.next()
      assert.ok(v >= 0 && v < 1)
      if (v < 0.25) below++
    }
    // Binomial(100000, 0.25): standard deviation 137.
    assert.ok(Math.abs(below - 25_000) < 1000, `${below}`)
  })

  it('samples each example independently with the rate (Poisson sampling)', () => {
    const rng = createRng(1)
    let total = 0
    for (let k = 0; k < 200; k++) total += poissonSample(1000, 0.03, rng).length
    // 200 batches of expected size 30: standard deviation of the total about 76.
    assert.ok(Math.abs(total - 6000) < 400, `${total}`)
    assert.equal(poissonSample(50, 0).length, 0)
    assert.deepEqual(Array.from(poissonSample(4, 1)), [0, 1, 2, 3])
    assert.throws(() => poissonSample(4, 1.5), RangeError)
  })

  it('privatises: (clipped sum + N(0, sigma^2 C^2)) / expected batch size; an empty batch gives noise alone', async () => {
    await useBackend('cpu')
    const params = weightsToTensors(MLP, initialWeights(MLP, 2))
    const { x, y } = batchOf(MLP, 4, 3)
    const options = { clipNorm: 0.5, noiseMultiplier: 1.3, expectedBatchSize: 5 }
    try {
      const xs = tf.tensor2d(x, [4, MLP.inputSize])
      const ys = tf.tensor1d(y, 'int32')
      const clipped = clippedGradientSum(MLP, params, xs, ys, options.clipNorm)
      tf.dispose([xs, ys])
      const noise = createRng(8)
      const expected = flatten(clipped.sum.map(s => tf.tidy(() => tf.div(tf.add(s, tf.tensor(gaussianNoise(s.size, 1.3 * 0.5, noise), s.shape)), 5))))
      tf.dispose(clipped.sum)
      const got = flatten(privatisedGradient(MLP, params, { x, y, count: 4 }, options, createRng(8)))
      assert.deepEqual(got, expected)

      const empty = flatten(privatisedGradient(MLP, params, { x: new Float32Array(0), y: new Int32Array(0), count: 0 }, options, createRng(4)))
      const noiseOnly = createRng(4)
      const expectedEmpty = Float64Array.from(params.flatMap(p => Array.from(gaussianNoise(p.size, 1.3 * 0.5, noiseOnly)).map(v => Math.fround(Math.fround(v) / 5))))
      assert.deepEqual(empty, expectedEmpty)
    } finally {
      tf.dispose(params)
    }
  })
})

describe('model/TrainingCore.trainPrivately', () => {
  const MLP8: ModelSpec = { inputSize: 8, hiddenLayers: [{ type: 'dense', units: 16, activation: 'relu' }], classes: 2 }
  const TRAINING = { localSteps: 10, batchSize: 16, learningRate: 0.5, initSeed: 3 }
  before(async () => { await useBackend('cpu') })
  after(async () => { await useBackend('auto') })

  it('takes the step of dp-sgd.ts: Poisson batch, privatised gradient, SGD update, from the same draws', () => {
    const shard = blobShard(8)
    const core = new TrainingCore(MLP8, TRAINING, shard, 5)
    const start = core.initialWeights()
    const privacy = { clipNorm: 1, noiseMultiplier: 0.8 }
    const result = core.trainPrivately(start, privacy, 1, createRng(21))
    const q = 16 / shard.train.count
    assert.equal(result.samplingRate, q)
    assert.equal(result.steps, 1)

    const uniform = createRng(21)
    const chosen = poissonSample(shard.train.count, q, uniform)
    const x = Float32Array.from(Array.from(chosen).flatMap(r => Array.from(featureValues(shard.train.x, r * 8, (r + 1) * 8))))
    const y = Int32Array.from(Array.from(chosen).map(r => shard.train.y[r] as number))
    const params = weightsToTensors(MLP8, start)
    const grads = privatisedGradient(MLP8, params, { x, y, count: chosen.length }, { ...privacy, expectedBatchSize: 16 }, uniform)
    const expected = flatten(params.map((p, i) => tf.tidy(() => tf.sub(p, tf.mul(grads[i] as tf.Tensor, tf.scalar(0.5))))))
    tf.dispose([...params, ...grads])
    assert.deepEqual(Float64Array.from(result.weights), expected)
  })

  it('learns the separable blobs through the noise, and draws fresh noise from the CSPRNG by default', () => {
    const core = new TrainingCore(MLP8, TRAINING, blobShard(8), 5)
    let weights = core.initialWeights()
    const before = core.evaluate(weights, 'test').accuracy
    for (let i = 0; i < 5; i++) weights = core.trainPrivately(weights, { clipNorm: 1, noiseMultiplier: 0.5 }, 10, createRng(i)).weights
    const after = core.evaluate(weights, 'test').accuracy
    assert.ok(after > 0.9 && after > before, `accuracy ${before} -> ${after}`)
    const start = core.initialWeights()
    assert.notDeepEqual(core.trainPrivately(start, { clipNorm: 1, noiseMultiplier: 0.5 }, 1).weights, core.trainPrivately(start, { clipNorm: 1, noiseMultiplier: 0.5 }, 1).weights)
  })

  it('refuses a bad step count or noise multiplier', () => {
    const core = new TrainingCore(MLP8, TRAINING, blobShard(8), 5)
    assert.throws(() => core.trainPrivately(core.initialWeights(), { clipNorm: 1, noiseMultiplier: 1 }, 0), /steps/)
    assert.throws(() => core.trainPrivately(core.initialWeights(), { clipNorm: 1, noiseMultiplier: 0 }), /noiseMultiplier/)
  })
})

describe('model/privatiseUpdate (update-clip)', () => {
  it('clips the change to the norm and adds N(0, sigma^2 C^2), leaving its inputs alone', () => {
    const before = Float32Array.from([1, 1, 1])
    const after = Float32Array.from([4, 5, 1]) // change [3, 4, 0], norm 5
    const copy = after.slice()
    // No noise: the change scaled to norm 2 is [1.2, 1.6, 0].
    const clipped = privatiseUpdate(before, after, 2, 0)
    assert.deepEqual(Array.from(clipped), [2.2, 2.6, 1].map(Math.fround))
    assert.deepEqual(after, copy)
    // A change within the norm passes unchanged.
    assert.deepEqual(Array.from(privatiseUpdate(before, after, 10, 0)), [4, 5, 1])
    // With noise: exactly the seeded draws of gaussianNoise at sigma C.
    const noise = gaussianNoise(3, 0.5 * 2, createRng(6))
    const noisy = privatiseUpdate(before, after, 2, 0.5, createRng(6))
    const change = [3, 4, 0]
    noisy.forEach((v, i) => assert.equal(v, Math.fround(1 + (2 / 5) * (change[i] as number) + (noise[i] as number))))
    assert.throws(() => privatiseUpdate(before, new Float32Array(2), 1, 1), RangeError)
  })
})
