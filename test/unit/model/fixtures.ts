import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Examples, TrainingShard } from '../../../src/model/index.ts'
import { createRng, datasetFingerprint } from '../../../src/model/index.ts'

/** A temporary folder, removed by the returned `remove`. */
export function tempDir (): { dir: string, remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'meshtrain-model-'))
  return { dir, remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}

/** IDX bytes of unsigned bytes: magic 0x0000080N, big-endian dimensions, then the data. */
export function idxBytes (dims: readonly number[], data: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, 0x0800 | dims.length)
  dims.forEach((d, i) => { view.setUint32(4 + 4 * i, d) })
  bytes.set(Array.from(data), 4 + 4 * dims.length)
  return bytes
}

/** Write an IDX data set of `train` and `test` images of `rows x cols` (pixel value = label * 10 + index). */
export function writeIdxSet (dir: string, options: { rows: number, cols: number, trainLabels: number[], testLabels: number[], gzip: boolean }): void {
  const write = (name: string, bytes: Uint8Array): void => {
    if (options.gzip) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes))
    else writeFileSync(join(dir, name), bytes)
  }
  const images = (labels: number[]): number[] =>
    labels.flatMap((label, i) => Array.from({ length: options.rows * options.cols }, () => label * 10 + i))
  write('train-images-idx3-ubyte', idxBytes([options.trainLabels.length, options.rows, options.cols], images(options.trainLabels)))
  write('train-labels-idx1-ubyte', idxBytes([options.trainLabels.length], options.trainLabels))
  write('t10k-images-idx3-ubyte', idxBytes([options.testLabels.length, options.rows, options.cols], images(options.testLabels)))
  write('t10k-labels-idx1-ubyte', idxBytes([options.testLabels.length], options.testLabels))
}

/**
 * `count` examples of `features` values in two separable classes: class c has its first half of
 * features near 1 - c and its second half near c, plus seeded noise.
 */
export function blobExamples (count: number, features: number, seed: number): Examples {
  const rng = createRng(seed)
  const x = new Float32Array(count * features)
  const y = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const label = i % 2
    y[i] = label
    for (let f = 0; f < features; f++) {
      const centre = f < features / 2 ? 1 - label : label
      x[i * features + f] = centre + 0.3 * rng.normal()
    }
  }
  return { x, y, count }
}

/** A two-class shard built from {@link blobExamples}. */
export function blobShard (features: number, seed = 1): TrainingShard {
  const train = blobExamples(200, features, seed)
  return {
    features,
    classes: 2,
    train,
    holdout: blobExamples(40, features, seed + 1),
    test: blobExamples(100, features, seed + 2),
    testCount: 100,
    fingerprint: datasetFingerprint(train, features)
  }
}
