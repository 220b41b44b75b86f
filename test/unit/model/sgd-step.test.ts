import assert from 'node:assert/strict'
import { SimulationSgd, useBackend } from '../../../src/model/tfjs.ts'
import type { Examples, TrainingShard } from '../../../src/model/index.ts'
import { createRng, datasetFingerprint, initialWeights } from '../../../src/model/index.ts'
import type { ModelSpec, TrainingSpec } from '../../../src/protocol/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'

const TRAINING: TrainingSpec = { localSteps: 5, batchSize: 32, learningRate: 0.2, initSeed: 3 }

/** `count` examples of seeded random pixels in [0, 1) (a third of them 0, as in images) and labels; coded as one byte each when asked. */
function randomExamples (count: number, features: number, classes: number, seed: number, coded: boolean): Examples {
  const rng = createRng(seed)
  const y = Int32Array.from({ length: count }, () => Math.floor(rng.next() * classes))
  if (coded) {
    const values = Float32Array.from({ length: 256 }, (_, v) => v / 255)
    const codes = Uint8Array.from({ length: count * features }, () => (rng.next() < 1 / 3 ? 0 : Math.floor(rng.next() * 256)))
    return { x: { codes, values }, y, count }
  }
  const x = Float32Array.from({ length: count * features }, () => (rng.next() < 1 / 3 ? 0 : rng.next()))
  return { x, y, count }
}

function randomShard (model: ModelSpec, seed: number, coded = false): TrainingShard {
  const train = randomExamples(200, model.inputSize, model.classes, seed, coded)
  const test = randomExamples(20, model.inputSize, model.classes, seed + 1, coded)
  return { features: model.inputSize, classes: model.classes, train, holdout: test, test, testCount: test.count, fingerprint: datasetFingerprint(train, model.inputSize) }
}

/** The model's starting weights, each moved by up to ±`spread` at random (so that no layer starts at its initialiser's zeros). */
function randomWeights (model: ModelSpec, seed: number, spread: number): Float32Array {
  const rng = createRng(seed)
  return initialWeights(model, seed).map(w => w + (rng.next() - 0.5) * 2 * spread)
}

/** Whether two float32 arrays hold the same bits (so +0 and -0 differ, and equal NaNs match). */
function sameBits (a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false
  return true
}

describe('model/SimulationSgd wasm step', () => {
  // The step copies the arithmetic of tfjs's wasm backend, the simulations' backend.
  before(async () => { await useBackend('wasm') })

  const models: Array<[string, ModelSpec]> = [
    ['the benchmark\'s 784-64-10 relu network', DEFAULT_MANIFEST.model],
    ['relu and linear hidden layers of sizes that are no multiple of 8 or 4', {
      inputSize: 13,
      hiddenLayers: [{ type: 'dense', units: 7, activation: 'relu' }, { type: 'dense', units: 5, activation: 'linear' }, { type: 'dense', units: 11, activation: 'relu' }],
      classes: 3
    }],
    ['softmax regression (no hidden layer)', { inputSize: 6, hiddenLayers: [], classes: 2 }]
  ]
  for (const [name, model] of models) {
    for (const coded of [false, true]) {
      it(`takes bit for bit the steps of the tfjs step for ${name}${coded ? ', from byte-coded features' : ''}`, function () {
        // 24 tfjs steps of the 784-64-10 network per seed: slow on a loaded machine.
        this.timeout(120_000)
        for (const [seed, spread] of [[1, 0.05], [2, 0.5], [3, 3]] as const) {
          const shard = randomShard(model, seed, coded)
          const reference = new SimulationSgd(model, TRAINING, shard, seed + 10, 'tfjs')
          const wasm = new SimulationSgd(model, TRAINING, shard, seed + 10, 'wasm')
          let expected: Float32Array = randomWeights(model, seed, spread)
          let actual: Float32Array = expected.slice()
          // Four calls of five steps walk the 200 examples' order past a reshuffle (32 x 20 > 200).
          for (let call = 0; call < 4; call++) {
            const before = actual.slice()
            const a = reference.train(expected)
            const b = wasm.train(actual)
            assert.ok(sameBits(actual, before), 'train() must not modify its input')
            assert.ok(sameBits(a.weights, b.weights), `seed ${seed}, call ${call}: the weights differ`)
            assert.ok(Object.is(a.loss, b.loss), `seed ${seed}, call ${call}: loss ${a.loss} vs ${b.loss}`)
            assert.equal(b.sampleCount, a.sampleCount)
            expected = a.weights
            actual = b.weights
          }
        }
      })
    }
  }

  it('takes the steps asked for, continuing the batch order from one call to the next', () => {
    const model = DEFAULT_MANIFEST.model
    const shard = randomShard(model, 7)
    const start = randomWeights(model, 7, 0.05)
    const once = new SimulationSgd(model, TRAINING, shard, 1, 'wasm').train(start, 6)
    const split = new SimulationSgd(model, TRAINING, shard, 1, 'wasm')
    const twice = split.train(split.train(start, 2).weights, 4)
    assert.ok(sameBits(once.weights, twice.weights))
    assert.equal(once.sampleCount, 6 * TRAINING.batchSize)
  })
})
