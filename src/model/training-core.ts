import type { Scalar, Tensor } from '@tensorflow/tfjs'
import { tf } from './tf.ts'
import type { ModelSpec, TrainingSpec } from '../protocol/index.ts'
import { logits, weightsToTensors, tensorsToWeights } from './dense-model.ts'
import { checkWeights, initialWeights, parameterCount } from './model-shape.ts'
import { privatisedGradient } from './dp-sgd.ts'
import { cryptoUniform, poissonSample } from './dp-noise.ts'
import type { UniformSource } from './dp-noise.ts'
import type { Examples } from './examples.ts'
import { copyFeatures, featureValues } from './examples.ts'
import type { Rng } from './random.ts'
import { createRng, shuffleInPlace } from './random.ts'
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
  readonly #batches: BatchOrder

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
    this.#batches = new BatchOrder(shard.train.count, createRng(samplingSeed))
  }

  /** The manifest's starting weights. */
  initialWeights (): Float32Array {
    return initialWeights(this.model, this.training.initSeed)
  }

  /**
   * Run `steps` SGD steps from `weights`. Batches walk a seeded permutation of the train part,
   * reshuffled after each pass: with `batchSeed`, a permutation of its own, so the call depends on
   * nothing but its arguments and can be re-run; without, the core's own, continuing from where
   * the previous call stopped.
   * @throws WeightsShapeError, or RangeError for non-finite weights or a bad step count.
   */
  train (weights: Float32Array, steps: number = this.training.localSteps, batchSeed?: number): TrainResult {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps: got ${steps}, expected a positive integer`)
    checkWeights(this.model, weights)
    const { learningRate } = this.training
    const batches = batchSeed === undefined ? this.#batches : new BatchOrder(this.shard.train.count, createRng(batchSeed))
    return sgdSteps(this.model, this.shard, this.training.batchSize, weights, steps, batches, learningRate, (params, batchX, batchY, rate) => {
      const x = tf.tensor2d(batchX, [batchY.length, this.shard.features])
      const y = tf.oneHot(tf.tensor1d(batchY, 'int32'), this.model.classes)
      const objective = (...p: Tensor[]): Scalar => tf.losses.softmaxCrossEntropy(y, logits(this.model, p, x))
      const { value, grads } = tf.valueAndGrads(objective)([...params])
      return [value, ...params.map((p, i) => tf.sub(p, tf.mul(grads[i] as Tensor, rate)))]
    })
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
          copyFeatures(train.x, row * features, (row + 1) * features, x, i * features)
          y[i] = train.y[row] as number
        })
        const grads = privatisedGradient(this.model, params, { x, y, count: chosen.length }, options, uniform)
        const next = tf.tidy(() => params.map((p, i) => tf.sub(p, tf.mul(grads[i] as Tensor, rate))))
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
          const x = tf.tensor2d(featureValues(examples.x, start * features, end * features), [end - start, features])
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

}

/**
 * `steps` SGD steps from `weights`: each fills a batch of `batchSize` rows of `shard` in the order
 * of `batches` and runs `step` inside tf.tidy (the batch's loss, then every parameter updated with
 * `rate`, a scalar of `learningRate`). The plain training of TrainingCore and SimulationSgd.
 */
export function sgdSteps (
  model: ModelSpec, shard: TrainingShard, batchSize: number, weights: Float32Array, steps: number, batches: BatchOrder, learningRate: number,
  step: (params: readonly Tensor[], batchX: Float32Array, batchY: Int32Array, rate: Tensor) => [Tensor, ...Tensor[]]
): TrainResult {
  const { features, train } = shard
  const batchX = new Float32Array(batchSize * features)
  const batchY = new Int32Array(batchSize)
  let params = weightsToTensors(model, weights)
  const rate = tf.scalar(learningRate)
  let lossSum = 0
  try {
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < batchSize; i++) {
        const row = batches.next()
        copyFeatures(train.x, row * features, (row + 1) * features, batchX, i * features)
        batchY[i] = train.y[row] as number
      }
      const [loss, ...next] = tf.tidy(() => step(params, batchX, batchY, rate))
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

/** The rows mini-batches visit: a seeded permutation of `count` rows, reshuffled after each pass. */
export class BatchOrder {
  readonly #rng: Rng
  readonly #order: Int32Array
  #cursor = 0

  constructor (count: number, rng: Rng) {
    this.#rng = rng
    this.#order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), rng)
  }

  next (): number {
    if (this.#cursor === this.#order.length) {
      shuffleInPlace(this.#order, this.#rng)
      this.#cursor = 0
    }
    return this.#order[this.#cursor++] as number
  }
}
