import assert from 'node:assert/strict'
import { datasetFingerprint, featureLength, featureValues, loadDataset, MNIST_TRAIN_COUNT } from '../../../src/model/index.ts'

describe('model/mnist data set', () => {
  it('splits the 10,000 package digits 8,000 / 2,000, pixels in [0, 1], labels 0..9', () => {
    const data = loadDataset({ kind: 'mnist' })
    assert.equal(data.features, 784)
    assert.equal(data.classes, 10)
    assert.equal(data.train.count, MNIST_TRAIN_COUNT)
    assert.equal(data.test.count, 2000)
    const pixels = featureValues(data.train.x, 0, featureLength(data.train.x))
    assert.equal(pixels.length, 8000 * 784)
    assert.ok(pixels.every(v => v >= 0 && v <= 1))
    assert.ok(!(data.train.x instanceof Float32Array) && data.train.x.codes.length === 8000 * 784, 'pixels held as one byte each')
    const seen = new Set([...data.train.y, ...data.test.y])
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('is the same split in every process (fingerprints fixed when the split was written)', () => {
    const data = loadDataset({ kind: 'mnist' })
    assert.equal(datasetFingerprint(data.train, 784), 'd4c101f9c27651aaf7c536cbe1ad2795137560bae1481d2540e3117c809d6cc2')
    assert.equal(datasetFingerprint(data.test, 784), '735f28e195dfe7d0f94b6ecfef628fc4154f4a3779b001eec9081d9e00f55278')
  })
})
