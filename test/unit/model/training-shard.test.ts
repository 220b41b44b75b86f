import assert from 'node:assert/strict'
import { DatasetError, datasetFingerprint, loadDataset, loadTrainingShard, trainingShardOf } from '../../../src/model/index.ts'
import type { TrainerOptions } from '../../../src/model/index.ts'
import { DEFAULT_MANIFEST } from '../../../src/protocol/index.ts'

const BASE: TrainerOptions = {
  model: DEFAULT_MANIFEST.model,
  training: DEFAULT_MANIFEST.training,
  data: { kind: 'mnist' },
  shard: { index: 0, count: 4 },
  seed: 11
}

describe('model/loadTrainingShard', function () {
  // Each shard reads the mnist package's ten files (about a second on an idle machine).
  this.timeout(60_000)
  it('gives each node a disjoint shard with 10% held out, and the common test part', () => {
    const shards = [0, 1, 2, 3].map(index => loadTrainingShard({ ...BASE, shard: { index, count: 4 } }))
    for (const shard of shards) {
      assert.equal(shard.train.count + shard.holdout.count, 2000)
      assert.equal(shard.holdout.count, 200)
      assert.equal(shard.test.count, 2000)
    }
    assert.equal(new Set(shards.map(s => s.fingerprint)).size, 4)
    assert.equal(loadTrainingShard(BASE).fingerprint, shards[0]?.fingerprint)
  })

  it('reads exactly the rows that cutting the whole loaded data set gives, the test part when first used (iid and Dirichlet, label flip)', () => {
    const dataset = loadDataset({ kind: 'mnist' })
    const variants = [BASE, { ...BASE, shard: { index: 7, count: 50 } }, { ...BASE, partition: { kind: 'dirichlet' as const, alpha: 0.5 }, labelMap: 'flip' as const }]
    variants.forEach((options, i) => {
      const read = loadTrainingShard(options)
      const cut = trainingShardOf(dataset, options)
      // The test part is the same for every shard: read (a second pass over the files) once.
      for (const part of i === 0 ? ['train', 'holdout', 'test'] as const : ['train', 'holdout'] as const) {
        assert.equal(read[part].count, cut[part].count)
        assert.equal(datasetFingerprint(read[part], 784), datasetFingerprint(cut[part], 784))
      }
      assert.equal(read.fingerprint, cut.fingerprint)
      assert.equal(read.testCount, cut.test.count)
    })
  })

  it('flips train and held-out labels (y -> C-1-y) for a label-flip attacker, never the test part', () => {
    const honest = loadTrainingShard(BASE)
    const flipped = loadTrainingShard({ ...BASE, labelMap: 'flip' })
    assert.deepEqual(Array.from(flipped.train.y), Array.from(honest.train.y, y => 9 - y))
    assert.deepEqual(Array.from(flipped.holdout.y), Array.from(honest.holdout.y, y => 9 - y))
    assert.deepEqual(flipped.train.x, honest.train.x)
    assert.equal(datasetFingerprint(flipped.test, 784), datasetFingerprint(honest.test, 784))
    assert.notEqual(flipped.fingerprint, honest.fingerprint)
  })

  it('rejects a shard out of range and data that does not fit the model', () => {
    assert.throws(() => loadTrainingShard({ ...BASE, shard: { index: 4, count: 4 } }), /shard index: got 4, expected an integer from 0 to 3/)
    assert.throws(() => loadTrainingShard({ ...BASE, shard: { index: 0, count: 0 } }), /shard count: got 0/)
    assert.throws(() => loadTrainingShard({ ...BASE, model: { ...BASE.model, inputSize: 100 } }), (err: unknown) => {
      assert.ok(err instanceof DatasetError)
      assert.match(err.message, /data set mnist has 784 features per example, the manifest's model.inputSize is 100/)
      return true
    })
    assert.throws(() => loadTrainingShard({ ...BASE, model: { ...BASE.model, classes: 5 } }), /labels up to 9, the manifest's model.classes is 5/)
  })
})
