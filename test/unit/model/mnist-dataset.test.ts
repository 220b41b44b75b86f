import assert from 'node:assert/strict'
import { datasetFingerprint, decodeMnistDigits, encodeMnistDigits, featureLength, featureValues, loadDataset, MNIST_TRAIN_COUNT, mnistDigitsFile, mnistSource, parseMnistDigits } from '../../../src/model/index.ts'
import type { CodedDigits } from '../../../src/model/index.ts'

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

  it('reads from the coded digits file the build writes exactly what it parses from the package', () => {
    const { key } = mnistSource()
    const parsed = parseMnistDigits()
    const fromFile = decodeMnistDigits(mnistDigitsFile(), key)
    assert.ok(fromFile !== undefined)
    assert.deepEqual(fromFile.values, parsed.values)
    assert.deepEqual(fromFile.digits, parsed.digits)
    assert.deepEqual(parsed.digits.map(d => d.length / 784), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
  })

  it('uses a coded digits file only when it was made from the same data and is whole', () => {
    // Ten digits of one image each, image d all code d; code d is worth d / 10.
    const coded: CodedDigits = {
      values: Float32Array.from({ length: 256 }, (_, code) => code < 10 ? code / 10 : 0),
      digits: Array.from({ length: 10 }, (_, d) => new Uint8Array(784).fill(d))
    }
    const bytes = encodeMnistDigits(coded, 'mnist 1.1.0 1,2')
    // 8 magic + 2 + 15 key + 10 counts * 4 + 256 values * 4 + 10 images * 784
    assert.equal(bytes.length, 8 + 2 + 15 + 40 + 1024 + 7840)
    const back = decodeMnistDigits(bytes, 'mnist 1.1.0 1,2')
    assert.deepEqual(back?.values, coded.values)
    assert.deepEqual(back?.digits, coded.digits)
    assert.equal(decodeMnistDigits(bytes, 'mnist 1.1.0 1,3'), undefined, 'made from other data')
    assert.equal(decodeMnistDigits(bytes, 'mnist 1.1.1 1,2'), undefined, 'made from another version')
    assert.equal(decodeMnistDigits(bytes.subarray(0, bytes.length - 1), 'mnist 1.1.0 1,2'), undefined, 'cut short')
    assert.equal(decodeMnistDigits(Uint8Array.of(...bytes, 0), 'mnist 1.1.0 1,2'), undefined, 'a byte too many')
    const otherMagic = Uint8Array.from(bytes)
    otherMagic[0] = 0x58
    assert.equal(decodeMnistDigits(otherMagic, 'mnist 1.1.0 1,2'), undefined, 'not such a file')
    assert.equal(decodeMnistDigits(new Uint8Array(3), 'mnist 1.1.0 1,2'), undefined, 'too short for its header')
  })
})
