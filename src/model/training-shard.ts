import { createHash } from 'node:crypto'
import type { ModelSpec } from '../protocol/index.ts'
import { loadDataset } from './dataset.ts'
import { MNIST_CLASSES, MNIST_FEATURES, loadMnistRows } from './mnist-dataset.ts'
import type { Dataset, Examples } from './examples.ts'
import { featureLength, featureValues, selectExamples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'
import { formatDataSource } from './data-source.ts'
import { HOLDOUT_FRACTION, partition, splitHoldout } from './partition.ts'
import { deriveSeed } from './random.ts'
import type { LabelMap, TrainerOptions } from './trainer.ts'

/** One node's examples: what it trains on, what it holds out, and the common test part. */
export interface TrainingShard {
  readonly features: number
  readonly classes: number
  readonly train: Examples
  readonly holdout: Examples
  /**
   * The data set's common test part (never trained on). A node's daemon never evaluates on it,
   * so {@link loadTrainingShard} reads the built-in MNIST set's test part only when this is
   * first read (about 1.5 MiB).
   */
  readonly test: Examples
  /** Rows of `test`, known without reading it. */
  readonly testCount: number
  /** {@link datasetFingerprint} of `train`, before any scaling. */
  readonly fingerprint: string
  /** Whether the features were standardised from `train` (CSV data, {@link TrainerOptions.standardize}); absent: no. */
  readonly standardized?: boolean
}

/**
 * Load the data set named in `options`, deal its train part to `shard.count` shards, take shard
 * `shard.index`, hold out 10% of it (at least one example) and apply the label map to the rest.
 * Of the built-in MNIST set only this shard's rows are read into memory (a worker's memory), and
 * its test part when first used; other data sets are loaded whole and cut.
 * @throws DatasetError when the data cannot be loaded or does not fit the model.
 * @throws PartitionError when the shard cannot be made.
 * @throws RangeError when the shard index or count is out of range.
 */
export function loadTrainingShard (options: TrainerOptions): TrainingShard {
  checkShardIndex(options)
  if (options.data.kind !== 'mnist') return trainingShardOf(loadDataset(options.data), options)
  const { picked: [train, holdout], testCount } = loadMnistRows(labels => {
    checkFits(MNIST_FEATURES, MNIST_CLASSES, options.model, formatDataSource(options.data))
    const rows = shardRows(labels, options)
    return [rows.train, rows.holdout]
  }, { test: false })
  const test = { count: testCount, read: () => loadMnistRows(() => [], { test: true }).test as Examples }
  return shardOf(MNIST_FEATURES, train as Examples, holdout as Examples, test, options)
}

/**
 * {@link loadTrainingShard} over a data set already loaded, so that many trainers in one process
 * (simulations, benchmarks) share one copy of it.
 * @throws DatasetError, PartitionError or RangeError as {@link loadTrainingShard}.
 */
export function trainingShardOf (dataset: Dataset, options: TrainerOptions): TrainingShard {
  checkShardIndex(options)
  checkFits(dataset.features, dataset.classes, options.model, formatDataSource(options.data))
  const { train, holdout } = shardRows(dataset.train.y, options)
  const test = { count: dataset.test.count, read: () => dataset.test }
  return shardOf(dataset.features, selectExamples(dataset.train, dataset.features, train), selectExamples(dataset.train, dataset.features, holdout), test, options)
}

// The train part's rows that shard `options.shard` trains on and holds out.
function shardRows (labels: Int32Array, options: TrainerOptions): { train: Int32Array, holdout: Int32Array } {
  const { index, count } = options.shard
  const seed = options.seed ?? 0
  const shards = partition(labels, count, options.partition ?? { kind: 'iid' }, seed)
  return splitHoldout(shards[index] as Int32Array, deriveSeed(seed, index))
}

// The shard from its rows: labels mapped, fingerprinted, standardised where asked; the test part
// read (and scaled) when first used, then kept.
function shardOf (features: number, trainRows: Examples, holdoutRows: Examples, test: { readonly count: number, readonly read: () => Examples }, options: TrainerOptions): TrainingShard {
  const labelMap = options.labelMap ?? 'identity'
  const mapped = mapLabels(trainRows, labelMap, options.model.classes)
  const fingerprint = datasetFingerprint(mapped, features)
  const standardized = options.data.kind === 'csv' && options.standardize !== false
  const scale = standardized ? standardizer(mapped, features) : (examples: Examples) => examples
  let testPart: Examples | undefined
  return {
    features,
    classes: options.model.classes,
    train: scale(mapped),
    holdout: scale(mapLabels(holdoutRows, labelMap, options.model.classes)),
    get test () { return (testPart ??= scale(test.read())) },
    testCount: test.count,
    fingerprint,
    standardized
  }
}

function checkShardIndex (options: TrainerOptions): void {
  const { index, count } = options.shard
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count: got ${count}, expected a positive integer`)
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`shard index: got ${index}, expected an integer from 0 to ${count - 1}`)
}

/**
 * Feature-wise standardisation fitted on `reference`: x -> (x - mean) / sd, per feature, with the
 * population standard deviation; a constant feature (sd 0) is only centred.
 * @returns a function that scales a copy of any examples of the same feature count.
 */
export function standardizer (reference: Examples, features: number): (examples: Examples) => Examples {
  const mean = new Float64Array(features)
  const square = new Float64Array(features)
  const values = featureValues(reference.x, 0, featureLength(reference.x))
  for (let i = 0; i < reference.count; i++) {
    for (let f = 0; f < features; f++) {
      const v = values[i * features + f] as number
      mean[f] = (mean[f] as number) + v
      square[f] = (square[f] as number) + v * v
    }
  }
  const n = Math.max(1, reference.count)
  const sd = new Float64Array(features)
  for (let f = 0; f < features; f++) {
    mean[f] = (mean[f] as number) / n
    const variance = Math.max(0, (square[f] as number) / n - (mean[f] as number) ** 2)
    sd[f] = variance > 0 ? Math.sqrt(variance) : 1
  }
  return examples => {
    const x = featureValues(examples.x, 0, featureLength(examples.x)).slice()
    for (let i = 0; i < x.length; i++) {
      const f = i % features
      x[i] = ((x[i] as number) - (mean[f] as number)) / (sd[f] as number)
    }
    return { ...examples, x }
  }
}

/**
 * What a node trains on, in one line for its start-up log: the data set's rows, its common test
 * part, this node's shard, its train and held-out rows, and whether features were standardised.
 */
export function describeShard (source: string, shard: { readonly index: number, readonly count: number }, sizes: { readonly train: number, readonly holdout: number, readonly test: number, readonly standardized: boolean }): string {
  const scaling = sizes.standardized ? `; features standardised (mean 0, sd 1) from this node's ${sizes.train} train rows` : ''
  return `data ${source}: shard ${shard.index}/${shard.count}: ${sizes.train} rows train, ${sizes.holdout} held out to measure this node's model (${Math.round(HOLDOUT_FRACTION * 100)}%), ${sizes.test} in the data set's common test part (never trained on)${scaling}`
}

/** The seed of a node's mini-batch order: the swarm seed mixed with its shard index. */
export function samplingSeed (options: Pick<TrainerOptions, 'seed' | 'shard'>): number {
  return deriveSeed(options.seed ?? 0, options.shard.index, 0x62617463)
}

/**
 * The batch seed of a node's training in `round` (TrainCallOptions.batchSeed): from its data
 * seed, its shard and the round alone, so the ledger can record it and `meshtrain ledger
 * reproduce` re-run the round.
 */
export function roundBatchSeed (options: Pick<TrainerOptions, 'seed' | 'shard'>, round: number): number {
  return deriveSeed(samplingSeed(options), round)
}

/**
 * A short, stable identity of a set of examples: the SHA-256 (hex) of the feature count, the
 * example count, the features (float32, little-endian) and the labels (int32, little-endian).
 */
export function datasetFingerprint (examples: Examples, features: number): string {
  const header = new Uint32Array([features, examples.count])
  const hash = createHash('sha256').update(new Uint8Array(header.buffer))
  // Coded features are expanded to float32 a slice at a time.
  const length = featureLength(examples.x)
  for (let start = 0; start < length; start += FINGERPRINT_SLICE) {
    const values = featureValues(examples.x, start, Math.min(length, start + FINGERPRINT_SLICE))
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
  }
  return hash
    .update(new Uint8Array(examples.y.buffer, examples.y.byteOffset, examples.y.byteLength))
    .digest('hex')
}

/** Feature values hashed at a time by {@link datasetFingerprint} (256 KiB of float32). */
const FINGERPRINT_SLICE = 65_536

/** Labels mapped y -> C-1-y for `flip`, the same set for `identity`. */
export function mapLabels (examples: Examples, labelMap: LabelMap, classes: number): Examples {
  if (labelMap === 'identity') return examples
  return { ...examples, y: examples.y.map(label => classes - 1 - label) }
}

function checkFits (features: number, classes: number, model: ModelSpec, source: string): void {
  if (features !== model.inputSize) {
    throw new DatasetError(`data set ${source} has ${features} features per example, the manifest's model.inputSize is ${model.inputSize}`)
  }
  if (classes > model.classes) {
    throw new DatasetError(`data set ${source} has labels up to ${classes - 1}, the manifest's model.classes is ${model.classes}`)
  }
}
