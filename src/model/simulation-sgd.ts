import type { Tensor, Tensor2D } from '@tensorflow/tfjs'
import { tf } from './tf.ts'
import type { ModelSpec, TrainingSpec } from '../protocol/index.ts'
import { activate } from './dense-model.ts'
import { checkWeights, layerShapes } from './model-shape.ts'
import type { DenseLayerShape } from './model-shape.ts'
import { createRng } from './random.ts'
import { BatchOrder, sgdSteps } from './training-core.ts'
import type { TrainingShard } from './training-shard.ts'
import { samplingSeed } from './training-shard.ts'
import type { TrainerOptions, TrainResult } from './trainer.ts'
import { WasmSgdStep, wasmStepCovers } from './sgd-step.ts'

/**
 * How SimulationSgd runs a step: `wasm` (sgd-step.ts) for models whose hidden layers are relu or
 * linear, tfjs for the others; `tfjs` always with tfjs (the reference the wasm step is tested against).
 */
export type SimulationSgdStep = 'wasm' | 'tfjs'

/**
 * The plain SGD of {@link TrainingCore.train} (mean softmax cross-entropy, the same mini-batches
 * from the same sampling seed) with the backward pass written out, for simulations that train
 * many nodes in one process (scripts/robustness/simulate.ts in one thread; the scale simulation's
 * training threads, scripts/scale/training-worker.ts). The daemon keeps TrainingCore.
 *
 * Why: tfjs's automatic gradient of a dense layer multiplies by transposed matrices and also
 * computes the gradient of the input batch, which no one needs. The wasm backend runs a
 * transposed matMul 5 to 18 times slower than an untransposed 2-D one of the same work (`npm run bench:sim-training` measures both, and the step: 2.5
 * to 2.7 times less CPU on a loaded 2-core machine). Here every product is an
 * untransposed 2-D matMul, the transposes are explicit (cheap) copies, and the input's gradient
 * is never formed. A batched (3-D) matMul of 16 nodes at once took about 10 times longer than
 * 16 separate 2-D ones, so each node's step stays its own call.
 *
 * For relu and linear hidden layers (the benchmarks' models) the step runs in WebAssembly
 * instead (sgd-step.ts): the same float32 operations in the same order, so the same bits, without
 * tfjs's cost per operation, which was most of the step's CPU.
 */
export class SimulationSgd {
  readonly model: ModelSpec
  readonly training: TrainingSpec
  readonly shard: TrainingShard
  readonly #layers: readonly DenseLayerShape[]
  readonly #batches: BatchOrder
  readonly #wasm: WasmSgdStep | undefined

  /** The SGD of the InProcessTrainer that `InProcessTrainer.fromShard(options, shard)` makes (same batch order). */
  static fromShard (options: Pick<TrainerOptions, 'model' | 'training' | 'seed' | 'shard'>, shard: TrainingShard): SimulationSgd {
    return new SimulationSgd(options.model, options.training, shard, samplingSeed(options))
  }

  /** Same arguments, and the same batch order for a seed, as {@link TrainingCore}; `step` as {@link SimulationSgdStep}. */
  constructor (model: ModelSpec, training: TrainingSpec, shard: TrainingShard, samplingSeed: number, step: SimulationSgdStep = 'wasm') {
    if (shard.train.count < 1) throw new RangeError('the shard has no training examples')
    this.model = model
    this.training = training
    this.shard = shard
    this.#layers = layerShapes(model)
    this.#batches = new BatchOrder(shard.train.count, createRng(samplingSeed))
    this.#wasm = step === 'wasm' && wasmStepCovers(model) ? new WasmSgdStep(model, shard.features, training.batchSize) : undefined
  }

  /**
   * `steps` SGD steps from `weights`, batches continuing the core's own order (as
   * TrainingCore.train without a batch seed).
   * @throws WeightsShapeError, or RangeError for non-finite weights or a bad step count.
   */
  train (weights: Float32Array, steps: number = this.training.localSteps): TrainResult {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps: got ${steps}, expected a positive integer`)
    checkWeights(this.model, weights)
    const { batchSize, learningRate } = this.training
    if (this.#wasm !== undefined) return this.#wasm.train(this.shard, weights, steps, this.#batches, learningRate / batchSize)
    // The output's gradient is left as softmax - onehot (a sum over the batch); dividing the rate
    // by the batch size makes it the mean's.
    return sgdSteps(this.model, this.shard, batchSize, weights, steps, this.#batches, learningRate / batchSize, (params, batchX, batchY, rate) => this.#step(params, batchX, batchY, rate))
  }

  /** One step: the batch's mean loss, then the updated kernel and bias of every layer. */
  #step (params: readonly Tensor[], batchX: Float32Array, batchY: Int32Array, rate: Tensor): [Tensor, ...Tensor[]] {
    const batchSize = batchY.length
    const inputs: Tensor2D[] = [tf.tensor2d(batchX, [batchSize, this.shard.features])]
    const outputs: Tensor2D[] = []
    this.#layers.forEach((shape, l) => {
      const z = tf.add(tf.matMul(inputs[l] as Tensor2D, params[2 * l] as Tensor2D), params[2 * l + 1] as Tensor) as Tensor2D
      const h = activate(z, shape.activation)
      outputs.push(z)
      inputs.push(h)
    })
    const logSoftmax = tf.logSoftmax(inputs[this.#layers.length] as Tensor2D)
    const onehot = tf.oneHot(tf.tensor1d(batchY, 'int32'), this.model.classes)
    const loss = tf.div(tf.neg(tf.sum(tf.mul(onehot, logSoftmax))), batchSize)
    let gradient: Tensor2D = tf.sub(tf.exp(logSoftmax), onehot)
    const updated: Tensor[] = new Array(2 * this.#layers.length)
    for (let l = this.#layers.length - 1; l >= 0; l--) {
      const shape = this.#layers[l] as DenseLayerShape
      const dz = activationGradient(gradient, outputs[l] as Tensor2D, inputs[l + 1] as Tensor2D, shape.activation)
      const kernel = params[2 * l] as Tensor2D
      const dKernel = tf.matMul(tf.transpose(inputs[l] as Tensor2D), dz)
      const dBias = tf.sum(dz, 0)
      if (l > 0) gradient = tf.matMul(dz, tf.transpose(kernel))
      updated[2 * l] = tf.sub(kernel, tf.mul(dKernel, rate))
      updated[2 * l + 1] = tf.sub(params[2 * l + 1] as Tensor, tf.mul(dBias, rate))
    }
    return [loss, ...updated]
  }
}

/** The gradient at a layer's pre-activation `z` from the gradient at its output `h`. */
function activationGradient (dh: Tensor2D, z: Tensor2D, h: Tensor2D, activation: DenseLayerShape['activation']): Tensor2D {
  switch (activation) {
    case 'relu': return tf.mul(dh, tf.step(z)) as Tensor2D
    case 'tanh': return tf.mul(dh, tf.sub(1, tf.square(h))) as Tensor2D
    case 'sigmoid': return tf.mul(dh, tf.mul(h, tf.sub(1, h))) as Tensor2D
    // The softmax is the cross-entropy's (its gradient is above); linear is the identity.
    case 'softmax': return dh
    case 'linear': return dh
  }
}
