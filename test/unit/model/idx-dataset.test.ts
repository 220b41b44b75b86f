import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { DatasetError, featureLength, featureValues, loadDataset, parseIdx } from '../../../src/model/index.ts'
import { idxBytes, tempDir, writeIdxSet } from './fixtures.ts'

describe('model/idx data sets', () => {
  let dir: string
  let remove: () => void
  beforeEach(() => { ({ dir, remove } = tempDir()) })
  afterEach(() => { remove() })

  for (const gzip of [false, true]) {
    it(`loads ${gzip ? 'gzipped' : 'plain'} files, scaling pixels to [0, 1]`, () => {
      writeIdxSet(dir, { rows: 2, cols: 3, trainLabels: [0, 2, 1], testLabels: [1, 0], gzip })
      const data = loadDataset({ kind: 'idx', dir })
      assert.equal(data.features, 6)
      assert.equal(data.classes, 3)
      assert.equal(data.train.count, 3)
      assert.equal(data.test.count, 2)
      assert.deepEqual(Array.from(data.train.y), [0, 2, 1])
      assert.deepEqual(Array.from(data.test.y), [1, 0])
      // Second train image: label 2, index 1 -> pixel 21.
      assert.equal(featureLength(data.train.x), 18)
      assert.equal(featureValues(data.train.x, 6, 7)[0], Math.fround(21 / 255))
      assert.equal(featureValues(data.test.x, 0, 1)[0], Math.fround(10 / 255))
    })
  }

  it('names a missing file', () => {
    writeIdxSet(dir, { rows: 1, cols: 1, trainLabels: [0, 1], testLabels: [1], gzip: false })
    rmSync(join(dir, 't10k-labels-idx1-ubyte'))
    assert.throws(() => loadDataset({ kind: 'idx', dir }), (err: unknown) => {
      assert.ok(err instanceof DatasetError)
      assert.equal(err.file, join(dir, 't10k-labels-idx1-ubyte'))
      assert.match(err.message, /missing: neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte\.gz/)
      return true
    })
  })

  it('names a file whose labels do not match its images', () => {
    writeIdxSet(dir, { rows: 1, cols: 1, trainLabels: [0, 1], testLabels: [1], gzip: false })
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([3], [0, 1, 1]))
    assert.throws(() => loadDataset({ kind: 'idx', dir }), /train-labels-idx1-ubyte: 3 labels for 2 images/)
  })

  it('names a file that is not valid gzip', () => {
    writeIdxSet(dir, { rows: 1, cols: 1, trainLabels: [0, 1], testLabels: [1], gzip: true })
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.from('not gzip'))
    assert.throws(() => loadDataset({ kind: 'idx', dir }), /train-images-idx3-ubyte\.gz: is not valid gzip/)
  })

  it('names a file with a bad header', () => {
    writeIdxSet(dir, { rows: 1, cols: 1, trainLabels: [0, 1], testLabels: [1], gzip: true })
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([1], [5])))
    assert.throws(() => loadDataset({ kind: 'idx', dir }), /t10k-images-idx3-ubyte\.gz: bad magic number 0x00000801, expected 0x00000803/)
  })

  it('checks magic numbers, header length and data length', () => {
    assert.throws(() => parseIdx(new Uint8Array(2), 'f', 1), /f: 2 bytes is too short/)
    const floats = idxBytes([1], [0])
    floats[2] = 0x0d
    assert.throws(() => parseIdx(floats, 'f', 1), /bad magic number 0x00000d01/)
    assert.throws(() => parseIdx(idxBytes([2, 2, 2], [1, 2, 3]), 'f', 3), /dimensions 2x2x2 need 8 bytes of data, the file has 3/)
    assert.throws(() => parseIdx(idxBytes([2], [1, 2, 3]), 'f', 1), /dimensions 2 need 2 bytes of data, the file has 3/)
    assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'f', 3), /too short for a 3-dimension IDX header/)
    const ok = parseIdx(idxBytes([2, 1, 2], [1, 2, 3, 4]), 'f', 3)
    assert.deepEqual(ok.dims, [2, 1, 2])
    assert.deepEqual(Array.from(ok.data), [1, 2, 3, 4])
  })
})
