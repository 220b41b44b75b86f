import type { ModelSpec, TrainingSpec } from '../protocol/index.ts'
import type { BackendChoice, BackendName } from './backend.ts'
import type { DataSource } from './data-source.ts'
import type { PartitionScheme } from './partition.ts'

/** Which of a node's examples a model is measured on. */
export type EvaluationSplit = 'holdout' | 'test'

/** How a node's training labels are presented to the model: as they are, or y -> C-1-y (a label-flip attacker). */
export type LabelMap = 'identity' | 'flip'

/** Everything a trainer needs to load its shard and train the manifest's model. */
export interface TrainerOptions {
  readonly model: ModelSpec
  readonly training: TrainingSpec
  readonly data: DataSource
  /** This node's shard: `index` in [0, count) of `count` shards of the data set's train part. */
  readonly shard: { readonly index: number, readonly count: number }
  /** How the train part is dealt to the shards. @default { kind: 'iid' } */
  readonly partition?: PartitionScheme
  /**
   * Seed of the partition, which every node of one swarm must share so that shards are disjoint;
   * mixed with the shard index it also seeds this node's held-out split and mini-batches.
   * @default 0
   */
  readonly seed?: number
  /** @default 'auto' (tensorflow, then wasm, then cpu) */
  readonly backend?: BackendChoice
  /** Applied to the shard's train and held-out labels, never to the common test part. @default 'identity' */
  readonly labelMap?: LabelMap
  /**
   * CSV data only: scale every feature to mean 0 and standard deviation 1, with the mean and
   * deviation of this node's own train rows (applied to its train, held-out and test rows alike).
   * Unscaled features (a column in the thousands beside one in units) otherwise train to chance.
   * @default true
   */
  readonly standardize?: boolean
}

/** The outcome of one call to {@link Trainer.train}. */
export interface TrainResult {
  /** The trained model, `parameterCount(model)` floats. */
  readonly weights: Float32Array
  /** Mean training cross-entropy (nats) over the steps run. */
  readonly loss: number
  /** Examples processed: steps x batch size (an example may be seen more than once). */
  readonly sampleCount: number
}

/** How DP-SGD trains: the manifest's `privacy.clipNorm` and the node's noise multiplier. */
export interface PrivateTraining {
  /** C, the per-example L2 clipping norm, > 0. */
  readonly clipNorm: number
  /** sigma: noise of standard deviation sigma C on the clipped sum, > 0. */
  readonly noiseMultiplier: number
}

/**
 * The outcome of {@link TrainingCore.trainPrivately}. No loss and no count of examples: both
 * are computed from the data without noise and would spend privacy nobody accounts for.
 */
export interface PrivateTrainResult {
  readonly weights: Float32Array
  /** DP-SGD steps taken, each one composition for the accountant. */
  readonly steps: number
  /** q, the Poisson sampling rate of every step: min(1, batchSize / training examples). */
  readonly samplingRate: number
}

/** A model's quality on one split. */
export interface EvaluationResult {
  /** Share of examples classified correctly, in [0, 1]. */
  readonly accuracy: number
  /** Mean cross-entropy (nats). */
  readonly loss: number
}

/** Options of one training or evaluation call. */
export interface TrainCallOptions {
  /**
   * Hand the weights' memory to the worker instead of copying it: the caller's array is left
   * detached (length 0). No effect in process. @default false
   */
  readonly transfer?: boolean
  /** Rejects the call with the signal's reason; the computation itself runs to its end. */
  readonly signal?: AbortSignal
  /**
   * `train` only: the round trained for. Its batches are then drawn with a generator seeded by the
   * node's sampling seed and the round alone (TrainingCore.train), so the round can be re-run.
   */
  readonly round?: number
}

/** Trains and evaluates the manifest's model on one node's shard: in a worker or in process. */
export interface Trainer {
  /** The tfjs backend the model runs on. */
  readonly backend: BackendName
  /** Floats in a weights array of this model. */
  readonly parameterCount: number
  /** sha256 hex of this node's training examples (features and mapped labels), for announcements. */
  readonly datasetFingerprint: string
  /** Examples in this node's train and held-out parts. */
  readonly shardSize: { readonly train: number, readonly holdout: number }
  /** Seeds this node's batches (from its data seed and shard); with a round, `roundSeed(samplingSeed, round)` seeds that round's. */
  readonly samplingSeed: number
  /** The manifest's starting weights (seeded by `training.initSeed`), the same on every node. */
  initialWeights: () => Float32Array
  /**
   * Run `steps` mini-batch SGD steps from `weights` (not modified), batches drawn from this
   * node's train part with a seeded generator that advances from call to call.
   * @param steps @default training.localSteps
   * @throws WeightsShapeError when `weights` do not fit the model.
   */
  train: (weights: Float32Array, steps?: number, options?: TrainCallOptions) => Promise<TrainResult>
  /**
   * Run `training.localSteps` DP-SGD steps from `weights` (not modified): Poisson sampling,
   * per-example clipping and Gaussian noise from the CSPRNG (TrainingCore.trainPrivately). The
   * caller accounts the steps it reports.
   * @throws WeightsShapeError when `weights` do not fit the model; RangeError for bad privacy settings.
   */
  trainPrivately: (weights: Float32Array, privacy: PrivateTraining, options?: TrainCallOptions) => Promise<PrivateTrainResult>
  /**
   * Measure `weights` on the node's held-out part or on the data set's common test part.
   * @throws WeightsShapeError when `weights` do not fit the model.
   */
  evaluate: (weights: Float32Array, split: EvaluationSplit, options?: TrainCallOptions) => Promise<EvaluationResult>
  /** Release the trainer (terminate its worker); pending calls reject. Idempotent. */
  close: () => Promise<void>
}

/** A trainer that was closed, or whose worker crashed or exited, while calls were pending or after. */
export class TrainerStoppedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TrainerStoppedError'
  }
}
