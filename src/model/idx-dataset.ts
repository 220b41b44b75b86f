import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { Dataset, Examples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'

/** The four files of an IDX data set, as MNIST and Fashion-MNIST name them; each may end in `.gz`. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte'
} as const

/** An IDX array of unsigned bytes: its dimensions and its values. */
export interface IdxArray {
  readonly dims: readonly number[]
  readonly data: Uint8Array
}

// IDX header: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
// then each dimension as a big-endian uint32. http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS").
const IDX_UBYTE = 0x08

/**
 * Decode IDX bytes (already gunzipped) holding unsigned bytes.
 * @param file named in errors.
 * @param expectedDims the number of dimensions the file must have (3 for images, 1 for labels).
 * @throws DatasetError naming the file and what is wrong with the header or length.
 */
export function parseIdx (bytes: Uint8Array, file: string, expectedDims: number): IdxArray {
  if (bytes.length < 4) throw new DatasetError(`${bytes.length} bytes is too short for an IDX header`, { file })
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = view.getUint32(0)
  const expectedMagic = (IDX_UBYTE << 8) | expectedDims
  if (magic !== expectedMagic) {
    throw new DatasetError(`bad magic number 0x${hex(magic)}, expected 0x${hex(expectedMagic)} (unsigned bytes, ${expectedDims} dimension(s))`, { file })
  }
  const headerBytes = 4 + 4 * expectedDims
  if (bytes.length < headerBytes) throw new DatasetError(`${bytes.length} bytes is too short for a ${expectedDims}-dimension IDX header`, { file })
  const dims: number[] = []
  for (let i = 0; i < expectedDims; i++) dims.push(view.getUint32(4 + 4 * i))
  const size = dims.reduce((a, b) => a * b, 1)
  if (bytes.length - headerBytes !== size) {
    throw new DatasetError(`dimensions ${dims.join('x')} need ${size} bytes of data, the file has ${bytes.length - headerBytes}`, { file })
  }
  return { dims, data: bytes.subarray(headerBytes) }
}

/**
 * Load an IDX data set (MNIST layout) from `dir`: pixels scaled to [0, 1], train and test parts
 * as the files split them.
 * @throws DatasetError naming the file that is missing or malformed, or the mismatch between files.
 */
export function loadIdxDataset (dir: string): Dataset {
  const train = readPair(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels)
  const test = readPair(dir, IDX_FILES.testImages, IDX_FILES.testLabels)
  if (train.features !== test.features) {
    throw new DatasetError(`train images have ${train.features} pixels each, test images ${test.features}`, { file: dir })
  }
  if (train.examples.count === 0) throw new DatasetError('holds no images', { file: join(dir, IDX_FILES.trainImages) })
  if (test.examples.count === 0) throw new DatasetError('holds no images', { file: join(dir, IDX_FILES.testImages) })
  let maxLabel = 0
  for (const y of [train.examples.y, test.examples.y]) for (const label of y) maxLabel = Math.max(maxLabel, label)
  return { features: train.features, classes: Math.max(2, maxLabel + 1), train: train.examples, test: test.examples }
}

function readPair (dir: string, imagesName: string, labelsName: string): { features: number, examples: Examples } {
  const images = readIdx(dir, imagesName, 3)
  const labels = readIdx(dir, labelsName, 1)
  const [count = 0, rows = 0, cols = 0] = images.array.dims
  if (labels.array.dims[0] !== count) {
    throw new DatasetError(`${labels.array.dims[0]} labels for ${count} images in ${images.file}`, { file: labels.file })
  }
  const features = rows * cols
  if (features === 0 && count > 0) throw new DatasetError(`images of ${rows}x${cols} pixels`, { file: images.file })
  const x = new Float32Array(images.array.data.length)
  const pixels = images.array.data
  for (let i = 0; i < pixels.length; i++) x[i] = (pixels[i] as number) / 255
  return { features, examples: { x, y: Int32Array.from(labels.array.data), count } }
}

function readIdx (dir: string, name: string, dims: number): { file: string, array: IdxArray } {
  const plain = join(dir, name)
  const gzipped = `${plain}.gz`
  const file = existsSync(plain) ? plain : existsSync(gzipped) ? gzipped : undefined
  if (file === undefined) throw new DatasetError(`missing: neither ${name} nor ${name}.gz is there`, { file: plain })
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new DatasetError(`cannot be read: ${(err as Error).message}`, { file, cause: err })
  }
  if (file === gzipped) {
    try {
      bytes = gunzipSync(bytes)
    } catch (err) {
      throw new DatasetError(`is not valid gzip: ${(err as Error).message}`, { file, cause: err })
    }
  }
  return { file, array: parseIdx(bytes, file, dims) }
}

function hex (n: number): string {
  return n.toString(16).padStart(8, '0')
}
