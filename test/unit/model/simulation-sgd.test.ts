import assert from 'node:assert/strict'
import { SimulationSgd, TrainingCore, useBackend } from '../../../src/model/tfjs.ts'
import type { ModelSpec, TrainingSpec } from '../../../src/protocol/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'
import { blobShard } from './fixtures.ts'

const TRAINING: TrainingSpec = { localSteps: 5, batchSize: 32, learningRate: 0.2, initSeed: 3 }

/** Largest absolute difference between two weight vectors. */
function maxDifference (a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length)
  let max = 0
  for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs((a[j] as number) - (b[j] as number)))
  return max
}

describe('model/SimulationSgd', () => {
  before(async () => { await useBackend('auto') })

  const models: Array<[string, ModelSpec, number]> = [
    ['the benchmark\'s 784-64-10 relu network', DEFAULT_MANIFEST.model, 784],
    ['a network with tanh, sigmoid and linear hidden layers', {
      inputSize: 12,
      hiddenLayers: [{ type: 'dense', units: 16, activation: 'tanh' }, { type: 'dense', units: 8, activation: 'sigmoid' }, { type: 'dense', units: 6, activation: 'linear' }],
      classes: 2
    }, 12],
    ['softmax regression (no hidden layer)', { inputSize: 6, hiddenLayers: [], classes: 2 }, 6]
  ]
  for (const [name, model, features] of models) {
    it(`takes the same SGD steps as TrainingCore, to 1e-5, for ${name}`, () => {
      // Two-class blobs, fitted to the model's input size and class count.
      const shard = { ...blobShard(features, 4), classes: model.classes }
      const core = new TrainingCore(model, TRAINING, shard, 11)
      const sgd = new SimulationSgd(model, TRAINING, shard, 11)
      let expected: Float32Array = core.initialWeights()
      let actual: Float32Array = expected.slice()
      // Eight calls of five steps walk the 200 examples' order past a reshuffle (32 x 40 > 200).
      for (let call = 0; call < 8; call++) {
        const before = actual.slice()
        const a = core.train(expected)
        const b = sgd.train(actual)
        assert.deepEqual(actual, before, 'train() must not modify its input')
        assert.ok(maxDifference(a.weights, b.weights) < 1e-5, `call ${call}: weights differ by ${maxDifference(a.weights, b.weights)}`)
        assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `call ${call}: loss ${a.loss} vs ${b.loss}`)
        assert.equal(b.sampleCount, a.sampleCount)
        if (call === 0) assert.ok(maxDifference(a.weights, expected) > 1e-3, 'the steps moved the weights')
        expected = a.weights
        actual = b.weights
      }
    })
  }

  it('draws its batches from the sampling seed, as TrainingCore does', () => {
    const shard = blobShard(8, 2)
    const model: ModelSpec = { inputSize: 8, hiddenLayers: [{ type: 'dense', units: 4, activation: 'relu' }], classes: 2 }
    const start = new TrainingCore(model, TRAINING, shard, 1).initialWeights()
    const a = new SimulationSgd(model, TRAINING, shard, 1).train(start, 3)
    const b = new SimulationSgd(model, TRAINING, shard, 2).train(start, 3)
    assert.ok(maxDifference(a.weights, b.weights) > 1e-4, 'another seed, other batches')
    assert.equal(a.sampleCount, 3 * TRAINING.batchSize)
  })

  it('rejects a bad step count, weights of the wrong length and an empty shard', () => {
    const shard = blobShard(8)
    const model: ModelSpec = { inputSize: 8, hiddenLayers: [], classes: 2 }
    const sgd = new SimulationSgd(model, TRAINING, shard, 1)
    assert.throws(() => sgd.train(new Float32Array(18), 0), /steps: got 0/)
    assert.throws(() => sgd.train(new Float32Array(10)), /weights have 10 parameters/)
    assert.throws(() => new SimulationSgd(model, TRAINING, { ...shard, train: { x: new Float32Array(0), y: new Int32Array(0), count: 0 } }, 1), /no training examples/)
  })
})
