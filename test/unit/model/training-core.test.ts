import assert from 'node:assert/strict'
import * as tf from '@tensorflow/tfjs'
import type { TrainingShard } from '../../../src/model/index.ts'
import { datasetFingerprint, WeightsShapeError } from '../../../src/model/index.ts'
import { InProcessTrainer, TrainingCore, useBackend } from '../../../src/model/tfjs.ts'
import type { ModelSpec, TrainingSpec } from '../../../src/protocol/index.ts'
import { blobShard } from './fixtures.ts'

const LINEAR: ModelSpec = { inputSize: 2, hiddenLayers: [], classes: 2 }
const MLP: ModelSpec = { inputSize: 8, hiddenLayers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 8, activation: 'tanh' }], classes: 2 }
const TRAINING: TrainingSpec = { localSteps: 10, batchSize: 16, learningRate: 0.1, initSeed: 3 }

function shardOf (train: { x: number[], y: number[] }, test = train): TrainingShard {
  const examples = (e: { x: number[], y: number[] }): TrainingShard['train'] => ({ x: Float32Array.from(e.x), y: Int32Array.from(e.y), count: e.y.length })
  return { features: 2, classes: 2, train: examples(train), holdout: examples(test), test: examples(test), testCount: test.y.length, fingerprint: datasetFingerprint(examples(train), 2) }
}

describe('model/TrainingCore', () => {
  before(async () => { await useBackend('auto') })

  it('takes one plain SGD step as computed by hand', () => {
    // Zero weights, one example x = [1, 0] of class 0, lr 1: p = [.5, .5], dL/dz = p - onehot = [-.5, .5],
    // so the kernel's first row and the bias move by [.5, -.5]; the loss is ln 2.
    const core = new TrainingCore(LINEAR, { localSteps: 1, batchSize: 1, learningRate: 1, initSeed: 0 }, shardOf({ x: [1, 0], y: [0] }), 1)
    const { weights, loss, sampleCount } = core.train(new Float32Array(6))
    assert.deepEqual(Array.from(weights), [0.5, -0.5, 0, 0, 0.5, -0.5])
    assert.ok(Math.abs(loss - Math.LN2) < 1e-6)
    assert.equal(sampleCount, 1)
  })

  it('evaluates accuracy and mean cross-entropy as computed by hand', () => {
    // Identity kernel: logits = x. Loss ln(1 + e^-1) for the two right answers, ln(1 + e) for the wrong one.
    const test = { x: [1, 0, 0, 1, 1, 0], y: [0, 1, 1] }
    const core = new TrainingCore(LINEAR, TRAINING, shardOf(test), 1)
    const result = core.evaluate(Float32Array.from([1, 0, 0, 1, 0, 0]), 'test')
    assert.ok(Math.abs(result.accuracy - 2 / 3) < 1e-9)
    const expected = (2 * Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.E)) / 3
    assert.ok(Math.abs(result.loss - expected) < 1e-5, `loss ${result.loss}, expected ${expected}`)
  })

  it('learns a separable problem, deterministically for a seed, without touching its input', () => {
    const run = (): { first: number, last: number, weights: Float32Array, accuracy: number } => {
      const core = new TrainingCore(MLP, TRAINING, blobShard(8), 5)
      const start = core.initialWeights()
      const copy = start.slice()
      const first = core.train(start)
      assert.deepEqual(start, copy, 'train() must not modify its input')
      let weights = first.weights
      let last = first.loss
      for (let i = 0; i < 5; i++) ({ weights, loss: last } = core.train(weights))
      return { first: first.loss, last, weights, accuracy: core.evaluate(weights, 'test').accuracy }
    }
    const a = run()
    assert.ok(a.last < a.first / 2, `loss went from ${a.first} to ${a.last}`)
    assert.ok(a.accuracy > 0.95, `accuracy ${a.accuracy}`)
    assert.deepEqual(run(), a)
  })

  it('with a batch seed, a call depends on its arguments alone: it can be re-run on a fresh core, whatever ran before', () => {
    const used = new TrainingCore(MLP, TRAINING, blobShard(8), 5)
    const start = used.initialWeights()
    for (let i = 0; i < 3; i++) used.train(start)
    const fresh = new TrainingCore(MLP, TRAINING, blobShard(8), 99)
    const a = used.train(start, undefined, 1234)
    assert.deepEqual(fresh.train(start, undefined, 1234), a)
    assert.notDeepEqual(fresh.train(start, undefined, 1235).weights, a.weights, 'another seed draws other batches')
    // Without a seed, the core's own stream continues from call to call.
    assert.notDeepEqual(used.train(start).weights, used.train(start).weights)
  })

  it('runs the number of steps asked for', () => {
    const core = new TrainingCore(MLP, TRAINING, blobShard(8), 5)
    assert.equal(core.train(core.initialWeights()).sampleCount, 10 * 16)
    assert.equal(core.train(core.initialWeights(), 3).sampleCount, 3 * 16)
    assert.throws(() => core.train(core.initialWeights(), 0), /steps: got 0/)
  })

  it('rejects weights of the wrong length with WeightsShapeError', () => {
    const core = new TrainingCore(MLP, TRAINING, blobShard(8), 5)
    assert.throws(() => core.train(new Float32Array(10)), WeightsShapeError)
    assert.throws(() => core.evaluate(new Float32Array(10), 'holdout'), WeightsShapeError)
  })

  it('leaves no tensors or bytes behind over 100 train and evaluate calls', () => {
    const core = new TrainingCore(MLP, TRAINING, blobShard(8), 5)
    let weights = core.initialWeights()
    weights = core.train(weights).weights
    core.evaluate(weights, 'test')
    const before = tf.memory()
    for (let i = 0; i < 100; i++) {
      weights = core.train(weights, 2).weights
      core.evaluate(weights, i % 2 === 0 ? 'test' : 'holdout')
    }
    try { core.train(new Float32Array(3)) } catch { /* a failed call must not leak either */ }
    const after = tf.memory()
    assert.equal(after.numTensors, before.numTensors)
    assert.equal(after.numBytes, before.numBytes)
  })
})

describe('model/InProcessTrainer', () => {
  it('wraps a core behind the Trainer interface', async () => {
    const trainer = await InProcessTrainer.fromShard({ model: MLP, training: TRAINING, shard: { index: 0, count: 1 } }, blobShard(8))
    assert.equal(trainer.parameterCount, 8 * 16 + 16 + 16 * 8 + 8 + 8 * 2 + 2)
    assert.deepEqual(trainer.shardSize, { train: 200, holdout: 40 })
    const { weights } = await trainer.train(trainer.initialWeights())
    assert.ok((await trainer.evaluate(weights, 'holdout')).accuracy > 0.5)
    await trainer.close()
    await assert.rejects(trainer.train(weights), { name: 'TrainerStoppedError' })
  })
})
