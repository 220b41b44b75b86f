import * as tf from '@tensorflow/tfjs'
import type { ModelSpec, TrainingSpec } from '../protocol/index.ts'
import { parameterCount } from '../protocol/index.ts'
import { checkWeights, initialWeights, logits, weightsToTensors, tensorsToWeights } from './dense-model.ts'
import { cryptoUniform, poissonSample, privatisedGradient } from './dp-sgd.ts'
import type { UniformSource } from './dp-sgd.ts'
import type { Examples } from './examples.ts'
import type { Rng } from './random.ts'
import { createRng, deriveSeed, shuffleInPlace } from './random.ts'
import type { TrainingShard } from './training-shard.ts'
import type { EvaluationResult, EvaluationSplit, PrivateTrainResult, PrivateTraining, TrainResult } from './trainer.ts'

/** Examples per forward pass when evaluating: bounds memory on large test sets. */
export const EVALUATION_CHUNK = 1024

/**
 * The synchronous training and evaluation that a trainer runs, in whatever thread it lives in,
 * on the tfjs backend already chosen there (see `useBackend`). Plain SGD on the mean softmax
 * cross-entropy; every tensor it makes is disposed before a call returns.
 */
export class TrainingCore {
  readonly model: ModelSpec
  readonly training: TrainingSpec
  readonly shard: TrainingShard
  readonly parameterCount: number
  /** Seeds the batches: the order they visit the train part, or with a round, that round's own order. */
  readonly samplingSeed: number
  readonly #rng: Rng
  readonly #order: Int32Array
  #cursor: number

  /**
   * @param samplingSeed seeds the order in which mini-batches visit the train part.
   * @throws RangeError when the shard has no training examples.
   */
  constructor (model: ModelSpec, training: TrainingSpec, shard: TrainingShard, samplingSeed: number) {
    if (shard.train.count < 1) throw new RangeError('the shard has no training examples')
    this.model = model
    this.training = training
    this.shard = shard
    this.parameterCount = parameterCount(model)
    this.samplingSeed = samplingSeed
    this.#rng = createRng(samplingSeed)
    this.#order = shuffleInPlace(Int32Array.from({ length: shard.train.count }, (_, i) => i), this.#rng)
    this.#cursor = 0
  }

  /** The manifest's starting weights. */
  initialWeights (): Float32Array {
    return initialWeights(this.model, this.training.initSeed)
  }

  /**
   * Run `steps` SGD steps from `weights`. Batches walk a seeded permutation of the train part,
   * reshuffled after each pass, continuing from where the previous call stopped. With `round`,
   * the round's batches depend on nothing else: they walk a permutation of their own, seeded
   * by {@link roundSeed} (so the ledger can re-run a round's training from its start model).
   * @throws WeightsShapeError, or RangeError for non-finite weights, a bad step count or round.
   */
  train (weights: Float32Array, steps: number = this.training.localSteps, round?: number): TrainResult {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps: got ${steps}, expected a positive integer`)
    if (round !== undefined && !(Number.isSafeInteger(round) && round >= 0)) throw new RangeError(`round: got ${round}, expected a whole number >= 0`)
    checkWeights(this.model, weights)
    const { batchSize, learningRate } = this.training
    const { features } = this.shard
    const batchX = new Float32Array(batchSize * features)
    const batchY = new Int32Array(batchSize)
    const batches = round === undefined ? this.#batches : roundBatches(this.shard.train.count, roundSeed(this.samplingSeed, round))
    let params = weightsToTensors(this.model, weights)
    const rate = tf.scalar(learningRate)
    let lossSum = 0
    try {
      for (let step = 0; step < steps; step++) {
        this.#fillBatch(batchX, batchY, batches)
        const [loss, ...next] = tf.tidy(() => {
          const x = tf.tensor2d(batchX, [batchSize, features])
          const y = tf.oneHot(tf.tensor1d(batchY, 'int32'), this.model.classes)
          const objective = (...p: tf.Tensor[]): tf.Scalar => tf.losses.softmaxCrossEntropy(y, logits(this.model, p, x))
          const { value, grads } = tf.valueAndGrads(objective)(params)
          return [value, ...params.map((p, i) => tf.sub(p, tf.mul(grads[i] as tf.Tensor, rate)))]
        }) as [tf.Scalar, ...tf.Tensor[]]
        tf.dispose(params)
        params = next
        lossSum += (loss.dataSync() as Float32Array)[0] as number
        loss.dispose()
      }
      return { weights: tensorsToWeights(params), loss: lossSum / steps, sampleCount: steps * batchSize }
    } finally {
      tf.dispose(params)
      rate.dispose()
    }
  }

  /**
   * Run `steps` DP-SGD steps from `weights` (Abadi et al. 2016; see dp-sgd.ts): each step samples
   * every training example with probability q = min(1, batchSize / examples), clips each
   * example's gradient to `clipNorm`, adds N(0, (sigma clipNorm)^2) noise to the sum and divides
   * by the expected batch size qN. Sampling and noise come from the CSPRNG unless `uniform` is
   * given (tests). The caller accounts `steps` steps at rate q and sigma with src/privacy.
   * @throws WeightsShapeError, or RangeError for non-finite weights, a bad step count or bad privacy options.
   */
  trainPrivately (weights: Float32Array, privacy: PrivateTraining, steps: number = this.training.localSteps, uniform: UniformSource = cryptoUniform()): PrivateTrainResult {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps: got ${steps}, expected a positive integer`)
    if (!(privacy.noiseMultiplier > 0 && Number.isFinite(privacy.noiseMultiplier))) throw new RangeError(`noiseMultiplier: got ${privacy.noiseMultiplier}, expected a finite number above 0`)
    checkWeights(this.model, weights)
    const { features, train } = this.shard
    const samplingRate = Math.min(1, this.training.batchSize / train.count)
    const options = { ...privacy, expectedBatchSize: samplingRate * train.count }
    let params = weightsToTensors(this.model, weights)
    const rate = tf.scalar(this.training.learningRate)
    try {
      for (let step = 0; step < steps; step++) {
        const chosen = poissonSample(train.count, samplingRate, uniform)
        const x = new Float32Array(chosen.length * features)
        const y = new Int32Array(chosen.length)
        chosen.forEach((row, i) => {
          x.set(train.x.subarray(row * features, (row + 1) * features), i * features)
          y[i] = train.y[row] as number
        })
        const grads = privatisedGradient(this.model, params, { x, y, count: chosen.length }, options, uniform)
        const next = tf.tidy(() => params.map((p, i) => tf.sub(p, tf.mul(grads[i] as tf.Tensor, rate))))
        tf.dispose([...grads, ...params])
        params = next
      }
      return { weights: tensorsToWeights(params), steps, samplingRate }
    } finally {
      tf.dispose(params)
      rate.dispose()
    }
  }

  /**
   * Accuracy and mean cross-entropy of `weights` on the held-out or the test part.
   * @throws WeightsShapeError, or RangeError for non-finite weights.
   */
  evaluate (weights: Float32Array, split: EvaluationSplit): EvaluationResult {
    checkWeights(this.model, weights)
    const examples: Examples = split === 'holdout' ? this.shard.holdout : this.shard.test
    const { features } = this.shard
    const params = weightsToTensors(this.model, weights)
    let lossSum = 0
    let correct = 0
    try {
      for (let start = 0; start < examples.count; start += EVALUATION_CHUNK) {
        const end = Math.min(examples.count, start + EVALUATION_CHUNK)
        const [loss, hits] = tf.tidy(() => {
          const x = tf.tensor2d(examples.x.subarray(start * features, end * features), [end - start, features])
          const y = tf.tensor1d(examples.y.subarray(start, end), 'int32')
          const z = logits(this.model, params, x)
          return [
            tf.losses.softmaxCrossEntropy(tf.oneHot(y, this.model.classes), z, undefined, undefined, tf.Reduction.SUM),
            tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), y), 'int32'))
          ]
        })
        lossSum += (loss.dataSync() as Float32Array)[0] as number
        correct += (hits.dataSync() as Int32Array)[0] as number
        tf.dispose([loss, hits])
      }
    } finally {
      tf.dispose(params)
    }
    return { accuracy: correct / examples.count, loss: lossSum / examples.count }
  }

  #fillBatch (x: Float32Array, y: Int32Array, nextRow: () => number): void {
    const { features, train } = this.shard
    for (let i = 0; i < y.length; i++) {
      const row = nextRow()
      x.set(train.x.subarray(row * features, (row + 1) * features), i * features)
      y[i] = train.y[row] as number
    }
  }

  /** The next row of the walk that continues from call to call. */
  readonly #batches = (): number => {
    if (this.#cursor === this.#order.length) {
      shuffleInPlace(this.#order, this.#rng)
      this.#cursor = 0
    }
    return this.#order[this.#cursor++] as number
  }
}

/** The seed of a round's batches: the node's sampling seed mixed with the round. */
export function roundSeed (samplingSeed: number, round: number): number {
  return deriveSeed(samplingSeed, Math.floor(round / 2 ** 32), round >>> 0)
}

/** Rows of a round's own walk: a permutation of `count` rows seeded by `seed`, shuffled again after each pass. */
function roundBatches (count: number, seed: number): () => number {
  const rng = createRng(seed)
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), rng)
  let cursor = 0
  return () => {
    if (cursor === order.length) {
      shuffleInPlace(order, rng)
      cursor = 0
    }
    return order[cursor++] as number
  }
}
