import assert from 'node:assert/strict'
import * as tf from '@tensorflow/tfjs-core'
import { checkWeights, initialWeights, layerShapes, WeightsShapeError } from '../../../src/model/index.ts'
import { useBackend } from '../../../src/model/tfjs.ts'
import { activate, logits, tensorsToWeights, weightsToTensors } from '../../../src/model/dense-model.ts'
import { parameterCount as modelParameterCount } from '../../../src/model/model-shape.ts'
import type { ModelSpec } from '../../../src/protocol/manifest.ts'
import { parameterCount } from '../../../src/protocol/manifest.ts'

const MODEL: ModelSpec = { inputSize: 3, hiddenLayers: [{ type: 'dense', units: 2, activation: 'relu' }], classes: 2 }

describe('model/dense-model', () => {
  before(async () => { await useBackend('auto') })

  it('counts parameters as the protocol does, without loading the protocol room in the worker', () => {
    const models: ModelSpec[] = [MODEL, { inputSize: 784, hiddenLayers: [{ type: 'dense', units: 64, activation: 'relu' }], classes: 10 },
      { inputSize: 5, hiddenLayers: [{ type: 'dense', units: 7, activation: 'tanh' }, { type: 'dense', units: 3, activation: 'sigmoid' }], classes: 4 }, { inputSize: 9, hiddenLayers: [], classes: 2 }]
    for (const model of models) assert.equal(modelParameterCount(model), parameterCount(model))
  })

  it('lists hidden layers then the softmax output', () => {
    assert.deepEqual(layerShapes(MODEL), [
      { inputs: 3, units: 2, activation: 'relu' },
      { inputs: 2, units: 2, activation: 'softmax' }
    ])
  })

  it('makes deterministic Glorot-uniform kernels and zero biases', () => {
    const w = initialWeights(MODEL, 1)
    assert.equal(w.length, parameterCount(MODEL))
    assert.deepEqual(initialWeights(MODEL, 1), w)
    assert.notDeepEqual(initialWeights(MODEL, 2), w)
    const kernel1 = w.subarray(0, 6)
    const limit1 = Math.sqrt(6 / 5)
    assert.ok(kernel1.every(v => Math.abs(v) <= limit1 && v !== 0))
    assert.deepEqual(Array.from(w.subarray(6, 8)), [0, 0])
    const limit2 = Math.sqrt(6 / 4)
    assert.ok(w.subarray(8, 12).every(v => Math.abs(v) <= limit2))
    assert.deepEqual(Array.from(w.subarray(12, 14)), [0, 0])
  })

  it('lays weights out layer by layer, kernel row-major then bias', () => {
    // Kernel 1 maps x to [x0 + 2 x1, -x2]; bias 1 adds [0, 1]; relu; kernel 2 swaps; bias 2 adds [10, 20].
    const w = Float32Array.from([1, 0, 2, 0, 0, -1, 0, 1, 0, 1, 1, 0, 10, 20])
    const params = weightsToTensors(MODEL, w)
    try {
      assert.deepEqual(params.map(p => p.shape), [[3, 2], [2], [2, 2], [2]])
      const out = tf.tidy(() => logits(MODEL, params, tf.tensor2d([[1, 1, 3], [0, 0, -2]])).arraySync())
      // Row 1: h = relu([3, -3 + 1]) = [3, 0] -> [0 + 10, 3 + 20]. Row 2: h = relu([0, 2 + 1]) = [0, 3] -> [13, 20].
      assert.deepEqual(out, [[10, 23], [13, 20]])
      assert.deepEqual(tensorsToWeights(params), w)
    } finally {
      tf.dispose(params)
    }
  })

  it('rejects weights of the wrong length, naming both lengths, and non-finite weights', () => {
    assert.throws(() => weightsToTensors(MODEL, new Float32Array(13)), WeightsShapeError)
    assert.throws(() => checkWeights(MODEL, new Float32Array(15)), (err: unknown) => {
      assert.ok(err instanceof WeightsShapeError)
      assert.equal(err.expected, 14)
      assert.equal(err.actual, 15)
      assert.match(err.message, /weights have 15 parameters, the model has 14/)
      return true
    })
    const bad = new Float32Array(14)
    bad[5] = NaN
    assert.throws(() => checkWeights(MODEL, bad), /weights\[5\] is NaN/)
  })

  it('differentiates every layer to the same bits as tf.matMul\'s own gradients, on the wasm backend the node trains on', async () => {
    await useBackend('wasm')
    const model: ModelSpec = { inputSize: 784, hiddenLayers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 16, activation: 'tanh' }], classes: 10 }
    const batch = 32
    let state = 7
    const uniform = (): number => (state = (state * 16807) % 2147483647) / 2147483647
    const x = tf.tensor2d(Float32Array.from({ length: batch * model.inputSize }, uniform), [batch, model.inputSize])
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % model.classes), 'int32'), model.classes)
    const params = weightsToTensors(model, initialWeights(model, 3))
    // The layers as tf.matMul alone writes them, with its own gradients.
    const plainLogits = (p: tf.Tensor[]): tf.Tensor2D => layerShapes(model).reduce<tf.Tensor2D>((h, shape, i) =>
      activate(tf.add(tf.matMul(h, p[2 * i] as tf.Tensor2D), p[2 * i + 1] as tf.Tensor) as tf.Tensor2D, shape.activation), x)
    try {
      const ours = tf.grads((...p: tf.Tensor[]) => tf.losses.softmaxCrossEntropy(y, logits(model, p, x)))(params)
      const plain = tf.grads((...p: tf.Tensor[]) => tf.losses.softmaxCrossEntropy(y, plainLogits(p)))(params)
      ours.forEach((g, i) => {
        assert.ok((g.dataSync() as Float32Array).some(v => v !== 0), `parameter tensor ${i} has a gradient`)
        assert.deepEqual(g.dataSync(), plain[i]?.dataSync(), `parameter tensor ${i}`)
      })
      tf.dispose([...ours, ...plain])
    } finally {
      tf.dispose([x, y, ...params])
      await useBackend('auto')
    }
  })
})

describe('model/useBackend', () => {
  it('leaves no process-wide error listeners behind (the wasm glue adds some)', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]
    await useBackend('cpu')
    await useBackend('wasm')
    await useBackend('auto')
    assert.deepEqual([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')], before)
  })
})
