import assert from 'node:assert/strict'
import { DatasetError, ModelTrainer, TrainerStoppedError, WeightsShapeError } from '../../../src/model/index.ts'
import { InProcessTrainer } from '../../../src/model/tfjs.ts'
import type { TrainerOptions } from '../../../src/model/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'

const OPTIONS: TrainerOptions = {
  model: DEFAULT_MANIFEST.model,
  training: { ...DEFAULT_MANIFEST.training, localSteps: 5 },
  data: { kind: 'mnist' },
  shard: { index: 1, count: 4 },
  seed: 3
}

// One worker for the whole suite: starting one loads tfjs and the data set again.
describe('model/ModelTrainer (worker thread)', () => {
  let trainer: ModelTrainer
  before(async () => { trainer = await ModelTrainer.start(OPTIONS) })
  after(async () => { await trainer.close() })

  it('trains and evaluates in its worker exactly as the in-process trainer does', async () => {
    const local = await InProcessTrainer.start(OPTIONS)
    assert.equal(trainer.backend, local.backend)
    assert.equal(trainer.parameterCount, 50_890)
    assert.equal(trainer.datasetFingerprint, local.datasetFingerprint)
    assert.deepEqual(trainer.shardSize, { train: 1800, holdout: 200 })
    const start = trainer.initialWeights()
    assert.deepEqual(start, local.initialWeights())
    const remote = await trainer.train(start)
    const expected = await local.train(start)
    assert.deepEqual(remote, expected)
    assert.equal(start.length, 50_890, 'without transfer the caller keeps its array')
    assert.deepEqual(await trainer.evaluate(remote.weights, 'holdout'), await local.evaluate(remote.weights, 'holdout'))
    const test = await trainer.evaluate(remote.weights, 'test')
    assert.ok(test.accuracy > 0.3 && test.accuracy <= 1)
    await local.close()
  })

  it('trains with DP-SGD in its worker with the privacy settings the call carries', async () => {
    const start = trainer.initialWeights()
    const result = await trainer.trainPrivately(start, { clipNorm: 1, noiseMultiplier: 1.1 })
    assert.equal(result.steps, 5)
    assert.equal(result.samplingRate, 32 / 1800)
    assert.equal(result.weights.length, 50_890)
    assert.ok(result.weights.every(Number.isFinite))
    assert.ok(result.weights.some((w, i) => w !== start[i]))
    // The noise is fresh from the CSPRNG: the same call twice gives two models.
    assert.notDeepEqual((await trainer.trainPrivately(start, { clipNorm: 1, noiseMultiplier: 1.1 })).weights, result.weights)
    await assert.rejects(trainer.trainPrivately(start, { clipNorm: 1, noiseMultiplier: 0 }), RangeError)
  })

  it('takes over the caller\'s array with transfer: true', async () => {
    const weights = trainer.initialWeights()
    const result = await trainer.train(weights, 1, { transfer: true })
    assert.equal(weights.length, 0)
    assert.equal(result.weights.length, 50_890)
    assert.equal(result.sampleCount, 32)
  })

  it('rejects a bad call with the worker\'s error, as its own class, and keeps serving', async () => {
    await assert.rejects(trainer.train(new Float32Array(7)), (err: unknown) => {
      assert.ok(err instanceof WeightsShapeError)
      assert.equal(err.actual, 7)
      assert.match(err.message, /weights have 7 parameters, the model has 50890/)
      return true
    })
    const view = new Float32Array(50_891).subarray(1)
    assert.ok((await trainer.evaluate(view, 'test')).accuracy >= 0)
  })

  it('rejects an aborted call with the signal\'s reason', async () => {
    const controller = new AbortController()
    const pending = trainer.train(trainer.initialWeights(), 1, { signal: controller.signal })
    controller.abort(new Error('round over'))
    await assert.rejects(pending, /round over/)
    await assert.rejects(trainer.evaluate(trainer.initialWeights(), 'test', { signal: controller.signal }), /round over/)
  })

  it('rejects pending and later calls once closed', async () => {
    const other = await ModelTrainer.start({ ...OPTIONS, shard: { index: 0, count: 4 } })
    const pending = assert.rejects(other.train(other.initialWeights()), TrainerStoppedError)
    await other.close()
    await other.close()
    await pending
    await assert.rejects(other.evaluate(other.initialWeights(), 'test'), /trainer closed/)
  })

  it('stops starting when its signal aborts', async () => {
    const controller = new AbortController()
    const starting = ModelTrainer.start(OPTIONS, { signal: controller.signal })
    controller.abort(new Error('shutting down'))
    await assert.rejects(starting, /shutting down/)
    await assert.rejects(ModelTrainer.start(OPTIONS, { signal: controller.signal }), /shutting down/)
  })

  it('fails to start with the worker\'s DatasetError when the data cannot be loaded', async () => {
    await assert.rejects(ModelTrainer.start({ ...OPTIONS, data: { kind: 'idx', dir: '/nonexistent/meshtrain' } }), (err: unknown) => {
      assert.ok(err instanceof DatasetError)
      assert.match(err.message, /train-images-idx3-ubyte: missing/)
      return true
    })
  })
})
