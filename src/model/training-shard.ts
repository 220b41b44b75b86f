import { createHash } from 'node:crypto'
import type { ModelSpec } from '../protocol/index.ts'
import { loadDataset } from './dataset.ts'
import type { Dataset, Examples } from './examples.ts'
import { selectExamples } from './examples.ts'
import { DatasetError } from './dataset-error.ts'
import { formatDataSource } from './data-source.ts'
import { partition, splitHoldout } from './partition.ts'
import { deriveSeed } from './random.ts'
import type { LabelMap, TrainerOptions } from './trainer.ts'

/** One node's examples: what it trains on, what it holds out, and the common test part. */
export interface TrainingShard {
  readonly features: number
  readonly classes: number
  readonly train: Examples
  readonly holdout: Examples
  readonly test: Examples
  /** {@link datasetFingerprint} of `train`. */
  readonly fingerprint: string
}

/**
 * Load the data set named in `options`, deal its train part to `shard.count` shards, take shard
 * `shard.index`, hold out 10% of it (at least one example) and apply the label map to the rest.
 * @throws DatasetError when the data cannot be loaded or does not fit the model.
 * @throws PartitionError when the shard cannot be made.
 * @throws RangeError when the shard index or count is out of range.
 */
export function loadTrainingShard (options: TrainerOptions): TrainingShard {
  const { index, count } = options.shard
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count: got ${count}, expected a positive integer`)
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`shard index: got ${index}, expected an integer from 0 to ${count - 1}`)
  return trainingShardOf(loadDataset(options.data), options)
}

/**
 * {@link loadTrainingShard} over a data set already loaded, so that many trainers in one process
 * (simulations, benchmarks) share one copy of it.
 * @throws DatasetError, PartitionError or RangeError as {@link loadTrainingShard}.
 */
export function trainingShardOf (dataset: Dataset, options: TrainerOptions): TrainingShard {
  const { index, count } = options.shard
  checkFits(dataset.features, dataset.classes, options.model, formatDataSource(options.data))
  const seed = options.seed ?? 0
  const shards = partition(dataset.train.y, count, options.partition ?? { kind: 'iid' }, seed)
  const { train, holdout } = splitHoldout(shards[index] as Int32Array, deriveSeed(seed, index))
  const labelMap = options.labelMap ?? 'identity'
  const trainExamples = mapLabels(selectExamples(dataset.train, dataset.features, train), labelMap, options.model.classes)
  return {
    features: dataset.features,
    classes: options.model.classes,
    train: trainExamples,
    holdout: mapLabels(selectExamples(dataset.train, dataset.features, holdout), labelMap, options.model.classes),
    test: dataset.test,
    fingerprint: datasetFingerprint(trainExamples, dataset.features)
  }
}

/** The seed of a node's mini-batch order: the swarm seed mixed with its shard index. */
export function samplingSeed (options: Pick<TrainerOptions, 'seed' | 'shard'>): number {
  return deriveSeed(options.seed ?? 0, options.shard.index, 0x62617463)
}

/**
 * A short, stable identity of a set of examples: the SHA-256 (hex) of the feature count, the
 * example count, the features (float32, little-endian) and the labels (int32, little-endian).
 */
export function datasetFingerprint (examples: Examples, features: number): string {
  const header = new Uint32Array([features, examples.count])
  return createHash('sha256')
    .update(new Uint8Array(header.buffer))
    .update(new Uint8Array(examples.x.buffer, examples.x.byteOffset, examples.x.byteLength))
    .update(new Uint8Array(examples.y.buffer, examples.y.byteOffset, examples.y.byteLength))
    .digest('hex')
}

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
