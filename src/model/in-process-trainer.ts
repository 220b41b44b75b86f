import type { BackendName } from './backend.ts'
import { useBackend } from './backend.ts'
import type { EvaluationResult, EvaluationSplit, PrivateTrainResult, PrivateTraining, TrainCallOptions, Trainer, TrainerOptions, TrainResult } from './trainer.ts'
import { TrainerStoppedError } from './trainer.ts'
import { TrainingCore } from './training-core.ts'
import type { TrainingShard } from './training-shard.ts'
import { loadTrainingShard, samplingSeed } from './training-shard.ts'

/**
 * A {@link Trainer} that runs tfjs in the calling thread: for tests, simulations and tools where
 * blocking the event loop during a call does not matter. Same results as {@link ModelTrainer}
 * for the same options and backend.
 */
export class InProcessTrainer implements Trainer {
  readonly backend: BackendName
  readonly core: TrainingCore
  #closed = false

  /**
   * Choose the backend for this thread and load the shard.
   * @throws DatasetError, PartitionError, BackendUnavailableError, or RangeError (bad shard).
   */
  static async start (options: TrainerOptions): Promise<InProcessTrainer> {
    const backend = await useBackend(options.backend ?? 'auto')
    return new InProcessTrainer(backend, new TrainingCore(options.model, options.training, loadTrainingShard(options), samplingSeed(options)))
  }

  /**
   * Wrap a core built from a shard of your own (for example a tiny synthetic one in tests). The
   * backend must already be chosen with `useBackend`.
   */
  constructor (backend: BackendName, core: TrainingCore) {
    this.backend = backend
    this.core = core
  }

  /** Build a trainer over an explicit shard, choosing the backend first. */
  static async fromShard (options: Pick<TrainerOptions, 'model' | 'training' | 'seed' | 'shard' | 'backend'>, shard: TrainingShard): Promise<InProcessTrainer> {
    const backend = await useBackend(options.backend ?? 'auto')
    return new InProcessTrainer(backend, new TrainingCore(options.model, options.training, shard, samplingSeed(options)))
  }

  get parameterCount (): number { return this.core.parameterCount }
  get datasetFingerprint (): string { return this.core.shard.fingerprint }
  get samplingSeed (): number { return this.core.samplingSeed }
  get shardSize (): { readonly train: number, readonly holdout: number } {
    return { train: this.core.shard.train.count, holdout: this.core.shard.holdout.count }
  }

  initialWeights (): Float32Array {
    return this.core.initialWeights()
  }

  async train (weights: Float32Array, steps?: number, options: TrainCallOptions = {}): Promise<TrainResult> {
    this.#check(options)
    return this.core.train(weights, steps, options.round)
  }

  async trainPrivately (weights: Float32Array, privacy: PrivateTraining, options: TrainCallOptions = {}): Promise<PrivateTrainResult> {
    this.#check(options)
    return this.core.trainPrivately(weights, privacy)
  }

  async evaluate (weights: Float32Array, split: EvaluationSplit, options: TrainCallOptions = {}): Promise<EvaluationResult> {
    this.#check(options)
    return this.core.evaluate(weights, split)
  }

  async close (): Promise<void> {
    this.#closed = true
  }

  #check (options: TrainCallOptions): void {
    if (this.#closed) throw new TrainerStoppedError('trainer closed')
    options.signal?.throwIfAborted()
  }
}
